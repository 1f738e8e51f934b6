//! The lexer: text → tokens with spans. It knows characters, quotes and numbers, not grammar;
//! keywords are plain [`TokenKind::Word`]s that the parser recognises by position, so that
//! `tags.in` can name a tag while `a IN (..)` is a list.

use crate::error::ParseError;
use crate::span::Span;

/// The keywords, which a name's first part can only use when quoted.
pub(crate) const KEYWORDS: [&str; 12] = [
    "AND", "OR", "NOT", "IN", "IS", "NULL", "LIKE", "ILIKE", "TRUE", "FALSE", "ASC", "DESC",
];

/// Whether `word` is a keyword, in any case.
pub(crate) fn is_keyword(word: &str) -> bool {
    KEYWORDS.iter().any(|k| k.eq_ignore_ascii_case(word))
}

/// Whether `part` lexes as one bare word: `[A-Za-z_][A-Za-z0-9_]*`.
pub(crate) fn is_bare_word(part: &str) -> bool {
    let mut chars = part.chars();
    chars
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && chars.all(is_word_char)
}

fn is_word_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || c == '_'
}

/// What a token is.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum TokenKind {
    /// A bare word: a name part or a keyword, as written.
    Word(String),
    /// A quoted run: `'..'`, `".."` or `` `..` ``, with doubled quotes unescaped.
    Quoted {
        quote: char,
        text: String,
    },
    /// A number, sign included.
    Number(f64),
    Dot,
    Comma,
    OpenParen,
    CloseParen,
    Eq,
    Ne,
    Lt,
    Le,
    Gt,
    Ge,
}

impl TokenKind {
    fn is_name_part(&self) -> bool {
        matches!(self, Self::Word(_) | Self::Quoted { .. })
    }
}

/// A token and where it stands.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Token {
    pub(crate) kind: TokenKind,
    pub(crate) span: Span,
}

/// Splits `text` into tokens.
pub(crate) fn lex(text: &str) -> Result<Vec<Token>, ParseError> {
    let mut tokens: Vec<Token> = Vec::new();
    let mut at = 0;
    while let Some(c) = text[at..].chars().next() {
        if c.is_whitespace() {
            at += c.len_utf8();
            continue;
        }
        let start = at;
        let next = text[at + c.len_utf8()..].chars().next();
        // A dot glued to a name part joins names (`metrics.acc`); elsewhere `.5` is a number.
        let glued_to_name = tokens
            .last()
            .is_some_and(|t| t.span.end == start && t.kind.is_name_part());
        let after_dot = tokens.last().is_some_and(|t| t.kind == TokenKind::Dot);
        let (kind, end) = match c {
            '(' => (TokenKind::OpenParen, at + 1),
            ')' => (TokenKind::CloseParen, at + 1),
            ',' => (TokenKind::Comma, at + 1),
            '=' => (TokenKind::Eq, at + 1),
            '!' if next == Some('=') => (TokenKind::Ne, at + 2),
            '<' if next == Some('=') => (TokenKind::Le, at + 2),
            '<' if next == Some('>') => (TokenKind::Ne, at + 2),
            '<' => (TokenKind::Lt, at + 1),
            '>' if next == Some('=') => (TokenKind::Ge, at + 2),
            '>' => (TokenKind::Gt, at + 1),
            '.' if !glued_to_name && next.is_some_and(|n| n.is_ascii_digit()) => {
                lex_number(text, at)?
            }
            '.' => (TokenKind::Dot, at + 1),
            '\'' | '"' | '`' => lex_quoted(text, at, c)?,
            '-' | '+' => {
                let rest = &text[at + 1..];
                let digit_follows = rest.starts_with(|n: char| n.is_ascii_digit())
                    || (rest.starts_with('.')
                        && rest[1..].starts_with(|n: char| n.is_ascii_digit()));
                if !digit_follows {
                    return Err(ParseError::LoneSign {
                        sign: c,
                        column: at + 1,
                    });
                }
                lex_number(text, at)?
            }
            // After a dot a name part may start with a digit: `metrics.1st`.
            c if c.is_ascii_digit() && after_dot => lex_word(text, at),
            c if c.is_ascii_digit() => lex_number(text, at)?,
            c if c.is_ascii_alphabetic() || c == '_' => lex_word(text, at),
            found => {
                return Err(ParseError::UnexpectedCharacter {
                    found,
                    column: at + 1,
                });
            }
        };
        tokens.push(Token {
            kind,
            span: Span::new(start, end),
        });
        at = end;
    }
    Ok(tokens)
}

fn lex_word(text: &str, start: usize) -> (TokenKind, usize) {
    let len = text[start..]
        .find(|c: char| !is_word_char(c))
        .unwrap_or(text.len() - start);
    (
        TokenKind::Word(text[start..start + len].to_string()),
        start + len,
    )
}

/// Scans `[+-]? digits* (. digits*)? ([eE] [+-]? digits+)?` and hands it to Rust's `f64`
/// parser. A number glued to a letter, digit run or dot (`5abc`, `1e`, `1.2.3`) is invalid,
/// and so is one beyond `f64` (`1e999`): the literal must print back as itself.
fn lex_number(text: &str, start: usize) -> Result<(TokenKind, usize), ParseError> {
    let bytes = text.as_bytes();
    let digits = |mut at: usize| {
        while at < bytes.len() && bytes[at].is_ascii_digit() {
            at += 1;
        }
        at
    };
    let mut end = start;
    if matches!(bytes[end], b'-' | b'+') {
        end += 1;
    }
    end = digits(end);
    if end < bytes.len() && bytes[end] == b'.' {
        end = digits(end + 1);
    }
    if end < bytes.len() && matches!(bytes[end], b'e' | b'E') {
        let mut exp = end + 1;
        if exp < bytes.len() && matches!(bytes[exp], b'-' | b'+') {
            exp += 1;
        }
        let exp_end = digits(exp);
        if exp_end > exp {
            end = exp_end;
        }
    }
    let glued = text[end..].starts_with(|c: char| is_word_char(c) || c == '.');
    let value = text[start..end]
        .parse::<f64>()
        .ok()
        .filter(|v| v.is_finite());
    match value {
        Some(value) if !glued => Ok((TokenKind::Number(value), end)),
        _ => {
            let bad_end = text[end..]
                .find(|c: char| !(is_word_char(c) || c == '.'))
                .map_or(text.len(), |at| end + at);
            Err(ParseError::InvalidNumber {
                text: text[start..bad_end].to_string(),
                column: start + 1,
            })
        }
    }
}

/// Scans a quoted run; a doubled quote inside stands for one quote character.
fn lex_quoted(text: &str, start: usize, quote: char) -> Result<(TokenKind, usize), ParseError> {
    let mut content = String::new();
    let mut at = start + 1;
    loop {
        let Some(at_quote) = text[at..].find(quote) else {
            return Err(ParseError::Unterminated {
                quote,
                column: start + 1,
            });
        };
        content.push_str(&text[at..at + at_quote]);
        at += at_quote + 1;
        if text[at..].starts_with(quote) {
            content.push(quote);
            at += 1;
        } else {
            break;
        }
    }
    Ok((
        TokenKind::Quoted {
            quote,
            text: content,
        },
        at,
    ))
}

#[cfg(test)]
mod tests {
    use super::{TokenKind, is_bare_word, is_keyword, lex};

    fn kinds(text: &str) -> Vec<TokenKind> {
        lex(text).unwrap().into_iter().map(|t| t.kind).collect()
    }

    #[test]
    fn dots_join_names_but_start_numbers_elsewhere() {
        assert_eq!(
            kinds("a.b=.5"),
            [
                TokenKind::Word("a".into()),
                TokenKind::Dot,
                TokenKind::Word("b".into()),
                TokenKind::Eq,
                TokenKind::Number(0.5),
            ]
        );
        assert_eq!(
            kinds("m.1e5"),
            [
                TokenKind::Word("m".into()),
                TokenKind::Dot,
                TokenKind::Word("1e5".into())
            ]
        );
    }

    #[test]
    fn spans_are_byte_offsets() {
        let tokens = lex("é = 'ü'").unwrap_err();
        assert_eq!(tokens.column(), 1);
        let tokens = lex("a <> 'ü'").unwrap();
        let spans: Vec<_> = tokens.iter().map(|t| (t.span.start, t.span.end)).collect();
        assert_eq!(spans, [(0, 1), (2, 4), (5, 9)]);
    }

    #[test]
    fn words() {
        assert!(is_keyword("ilike") && is_keyword("Null") && !is_keyword("inf"));
        assert!(
            is_bare_word("_a1") && !is_bare_word("1a") && !is_bare_word("") && !is_bare_word("a b")
        );
    }
}
