"""Independent reference for kiln's text tokenizers (crates/kiln-data/src/features/text.rs).

Re-implements the documented rules in plain Python (no kiln code) and writes the tokens of a set
of tricky texts to text_tokens.json, which `tests/it/main.rs` compares with kiln's tokens.
Run from this folder with any Python 3.8+ (standard library only):

    python3 text_tokens.py

Rules (from the module docs):
- HTML: a `<` followed by an ASCII letter, `/` or `!` starts a tag that ends at the first `>`
  within 1024 bytes, unless a `<` comes first; the tag becomes one space.
- word: a token is a maximal run of alphanumeric characters (lowercased when asked); with
  strip_punctuation, `'` and U+2019 inside the text are dropped and every other
  non-alphanumeric character separates; without it, each non-space, non-alphanumeric character
  is a token of its own.
- char/unicode: one token per code point (lowercased per code point when asked).
- char/byte: one token per UTF-8 byte, shown as the Latin-1 character of the same number
  (lowercase is ASCII-only).
"""

import json
import sys

MAX_TAG_BYTES = 1024


def strip_tags(data: bytes) -> bytes:
    out = bytearray()
    i = 0
    while i < len(data):
        b = data[i]
        if b == ord("<"):
            after = data[i + 1 :]
            starts = len(after) > 0 and (
                chr(after[0]).isascii() and (chr(after[0]).isalpha() or after[0] in b"/!")
            )
            end = None
            if starts:
                window = after[:MAX_TAG_BYTES]
                for j, c in enumerate(window):
                    if c == ord(">"):
                        end = j
                        break
                    if c == ord("<"):
                        break
            if end is not None:
                out.append(ord(" "))
                i = i + 1 + end + 1
                continue
        out.append(b)
        i += 1
    return bytes(out)


def lower_char(c: str) -> str:
    # Per code point, as Rust's char::to_lowercase (no final-sigma context).
    return c.lower()


def word_tokens(text: str, lowercase: bool, strip_html: bool, strip_punctuation: bool):
    if strip_html:
        text = strip_tags(text.encode("utf-8")).decode("utf-8")
    tokens = []
    word = []
    for c in text:
        if c.isalnum():
            word.append(lower_char(c) if lowercase else c)
            continue
        if strip_punctuation and c in ("'", "\u2019"):
            continue
        if word:
            tokens.append("".join(word))
            word = []
        if not strip_punctuation and not c.isspace():
            tokens.append(c)
    if word:
        tokens.append("".join(word))
    return tokens


def unicode_tokens(text: str, lowercase: bool, strip_html: bool):
    if strip_html:
        text = strip_tags(text.encode("utf-8")).decode("utf-8")
    out = []
    for c in text:
        out.extend(lower_char(c) if lowercase else c)
    return out


def byte_tokens(text: str, lowercase: bool, strip_html: bool):
    data = text.encode("utf-8")
    if strip_html:
        data = strip_tags(data)
    out = []
    for b in data:
        if lowercase and ord("A") <= b <= ord("Z"):
            b += 32
        out.append(chr(b))
    return out


TEXTS = [
    "This movie was GREAT!<br /><br />I'd watch it again... 10/10",
    "Don’t miss it — really, don't.",
    "<a href=\"x\">link</a> a<b c>d e <br/>f <!-- note --> g",
    "x < y and y > z; <3 hearts; 5<6",
    "Crème brûlée, naïve café; ÆØÅ æøå; straße",
    "Москва – ПРИВЕТ, мир! Ελληνικά κείμενα",
    "中文文本，日本語のテキスト。한국어",
    "emoji 😀 don't split_words with-hyphens and under_scores",
    "tabs\tand\nnewlines\r\nand  double  spaces",
    "numbers 3.14 1,000 ½ ² ٣",
    "",
    "   ... !!! ???   ",
    "<unterminated tag and text",
]

SETTINGS = [
    ("word", {"lowercase": True, "strip_html": True, "strip_punctuation": True}),
    ("word", {"lowercase": False, "strip_html": False, "strip_punctuation": False}),
    ("word", {"lowercase": True, "strip_html": True, "strip_punctuation": False}),
    ("unicode", {"lowercase": True, "strip_html": True}),
    ("unicode", {"lowercase": False, "strip_html": False}),
    ("byte", {"lowercase": True, "strip_html": False}),
]


def main():
    cases = []
    for text in TEXTS:
        for unit, opts in SETTINGS:
            if unit == "word":
                tokens = word_tokens(text, **opts)
            elif unit == "unicode":
                tokens = unicode_tokens(text, **opts)
            else:
                tokens = byte_tokens(text, **opts)
            cases.append({"text": text, "unit": unit, **opts, "tokens": tokens})
    doc = {
        "generator": "crates/kiln-data/tests/reference/text_tokens.py",
        "python": sys.version.split()[0],
        "cases": cases,
    }
    with open("text_tokens.json", "w", encoding="utf-8") as f:
        json.dump(doc, f, ensure_ascii=False, indent=1)
        f.write("\n")


if __name__ == "__main__":
    main()
