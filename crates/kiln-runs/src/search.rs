//! Run search: a filter in kiln's one expression syntax ([`kiln_query`], a superset of MLflow's
//! search grammar) compiled to one SQL query, ordered and paged in SQL.
//!
//! Names: `metrics.KEY` (the latest value; numbers only), `params.KEY` and `tags.KEY` (strings),
//! `attributes.NAME` (or `attribute.`, `attr.`, `run.`, or bare: `run_id`, `run_name`,
//! `status`, `user_id`, `start_time`, `end_time`, `lifecycle_stage`, `parent_run_id`,
//! `experiment_id`), `datasets.name|digest|context`. Keys may hold dots
//! (`params.training.epochs`); quote a key with spaces in backticks or double quotes. Every
//! value is bound as a parameter, never spliced into the SQL.
//!
//! A condition on a metric, param or tag is `run_id IN (SELECT run_id … WHERE key = ? AND
//! value …)`, which SQLite answers from the `(key, value)` indexes, so a selective filter reads
//! only the runs it matches rather than probing every run; the page's params, metrics, tags
//! and inputs are then read for all its runs at once. A NaN metric is stored as a NULL value,
//! so every comparison with it is false without a look at the row's `is_nan` flag.

use kiln_query::{Expr, Literal, Name, Op, OrderBy};
use rusqlite::types::Value;

use crate::entity::{ExperimentId, Run};
use crate::error::{Result, RunsError};
use crate::experiments::ViewType;
use crate::runs::{RUN_COLUMNS, run_info_from_row, runs_in};
use crate::store::Store;

/// Most runs one page may hold (MLflow's limit).
pub const MAX_RESULTS_LIMIT: usize = 50_000;

/// A run search.
#[derive(Debug, Clone)]
pub struct RunQuery {
    /// The experiments searched; all of them when empty.
    pub experiment_ids: Vec<ExperimentId>,
    /// A filter (`metrics.accuracy > 0.9 and params.lr = '0.01'`).
    pub filter: Option<String>,
    /// Order-by clauses (`metrics.accuracy DESC`), applied in order; then newest first.
    pub order_by: Vec<String>,
    /// Page size, 1 to [`MAX_RESULTS_LIMIT`].
    pub max_results: usize,
    /// The token a previous page returned.
    pub page_token: Option<String>,
    /// Live, deleted or all runs.
    pub view: ViewType,
}

impl Default for RunQuery {
    fn default() -> Self {
        Self {
            experiment_ids: Vec::new(),
            filter: None,
            order_by: Vec::new(),
            max_results: 1000,
            page_token: None,
            view: ViewType::ActiveOnly,
        }
    }
}

/// One page of runs.
#[derive(Debug, Clone)]
pub struct RunPage {
    /// The runs.
    pub runs: Vec<Run>,
    /// The token for the next page, when there is one.
    pub next_page_token: Option<String>,
}

/// What a name in a filter refers to.
enum Entity {
    Metric(String),
    Param(String),
    Tag(String),
    Attribute(&'static str, Kind),
    Dataset(&'static str),
}

#[derive(Clone, Copy, PartialEq)]
enum Kind {
    Text,
    Number,
}

fn attribute(key: &str) -> Option<(&'static str, Kind)> {
    Some(match key.to_ascii_lowercase().as_str() {
        "run_id" | "run_uuid" | "id" => ("r.run_id", Kind::Text),
        "run_name" | "name" => ("r.name", Kind::Text),
        "status" => ("r.status", Kind::Text),
        "user_id" | "user" => ("r.user_id", Kind::Text),
        "start_time" | "created" | "start" => ("r.start_time", Kind::Number),
        "end_time" | "end" => ("r.end_time", Kind::Number),
        "lifecycle_stage" => ("r.lifecycle_stage", Kind::Text),
        "parent_run_id" => ("r.parent_run_id", Kind::Text),
        "experiment_id" => ("r.experiment_id", Kind::Number),
        _ => return None,
    })
}

fn query_error(field: &'static str, message: impl Into<String>) -> RunsError {
    RunsError::Query {
        field,
        message: message.into(),
    }
}

fn entity(name: &Name) -> Result<Entity> {
    let first = name.parts[0].to_ascii_lowercase();
    let key = || {
        let k = name.key_after(1);
        if k.is_empty() {
            Err(query_error(
                "filter",
                format!(
                    "`{}` names no key; write e.g. `{first}.accuracy`",
                    name.dotted()
                ),
            ))
        } else {
            Ok(k)
        }
    };
    let unknown_attribute = |a: &str| {
        query_error(
            "filter",
            format!(
                "`{a}` is not a run attribute; use run_id, run_name, status, user_id, start_time, end_time, lifecycle_stage, parent_run_id or experiment_id"
            ),
        )
    };
    Ok(match first.as_str() {
        "metric" | "metrics" => Entity::Metric(key()?),
        "param" | "params" | "parameter" | "parameters" => Entity::Param(key()?),
        "tag" | "tags" => Entity::Tag(key()?),
        "attribute" | "attributes" | "attr" | "run" => {
            let k = key()?;
            let (column, kind) = attribute(&k).ok_or_else(|| unknown_attribute(&k))?;
            Entity::Attribute(column, kind)
        }
        "dataset" | "datasets" => match key()?.to_ascii_lowercase().as_str() {
            "name" => Entity::Dataset("d.name"),
            "digest" => Entity::Dataset("d.digest"),
            "context" => Entity::Dataset("json_extract(i.tags, '$.\"mlflow.data.context\"')"),
            other => {
                return Err(query_error(
                    "filter",
                    format!("`datasets.{other}`: datasets have name, digest and context"),
                ));
            }
        },
        _ if name.parts.len() == 1 => {
            let (column, kind) =
                attribute(&name.parts[0]).ok_or_else(|| {
                    query_error(
                        "filter",
                        format!(
                            "`{}` is not something runs have; prefix it: metrics.{0}, params.{0}, tags.{0} or attributes.{0}",
                            name.parts[0]
                        ),
                    )
                })?;
            Entity::Attribute(column, kind)
        }
        _ => {
            return Err(query_error(
                "filter",
                format!(
                    "`{}` starts with `{}`; names start with metrics., params., tags., attributes. or datasets.",
                    name.dotted(),
                    name.parts[0]
                ),
            ));
        }
    })
}

fn sql_op(op: Op) -> &'static str {
    match op {
        Op::Eq => "=",
        Op::Ne => "!=",
        Op::Lt => "<",
        Op::Le => "<=",
        Op::Gt => ">",
        Op::Ge => ">=",
        Op::Like | Op::ILike | Op::NotLike | Op::NotILike => "LIKE",
    }
}

fn literal_value(lit: &Literal) -> Value {
    match lit {
        Literal::Number(n) => Value::Real(*n),
        Literal::String(s) => Value::Text(s.clone()),
        Literal::Bool(b) => Value::Text(b.to_string()),
    }
}

/// Builds the SQL for a filter, pushing bound values onto `args`.
struct Compiler<'a> {
    args: &'a mut Vec<Value>,
}

impl Compiler<'_> {
    fn bind(&mut self, v: Value) -> String {
        self.args.push(v);
        format!("?{}", self.args.len())
    }

    /// `column op ?` for a text column, with kiln's LIKE (case-sensitive; ILIKE folds case).
    fn text_comparison(
        &mut self,
        column: &str,
        op: Op,
        value: &Literal,
        name: &Name,
    ) -> Result<String> {
        let Literal::String(s) = value else {
            return Err(query_error(
                "filter",
                format!(
                    "`{}` holds text: quote the value ('{}')",
                    name.dotted(),
                    match value {
                        Literal::Number(n) => n.to_string(),
                        Literal::Bool(b) => b.to_string(),
                        Literal::String(s) => s.clone(),
                    }
                ),
            ));
        };
        let arg = self.bind(Value::Text(s.clone()));
        Ok(match op {
            Op::Like => format!("kiln_like({arg}, {column}, 0)"),
            Op::ILike => format!("kiln_like({arg}, {column}, 1)"),
            Op::NotLike => format!("NOT kiln_like({arg}, {column}, 0)"),
            Op::NotILike => format!("NOT kiln_like({arg}, {column}, 1)"),
            Op::Eq | Op::Ne | Op::Lt | Op::Le | Op::Gt | Op::Ge => {
                format!("{column} {} {arg}", sql_op(op))
            }
        })
    }

    fn number_comparison(
        &mut self,
        column: &str,
        op: Op,
        value: &Literal,
        name: &Name,
    ) -> Result<String> {
        let Literal::Number(n) = value else {
            return Err(query_error(
                "filter",
                format!(
                    "`{}` is a number: compare it with a number, not {value:?}",
                    name.dotted()
                ),
            ));
        };
        if matches!(op, Op::Like | Op::ILike | Op::NotLike | Op::NotILike) {
            return Err(query_error(
                "filter",
                format!("`{}` is a number: LIKE compares text", name.dotted()),
            ));
        }
        let arg = self.bind(Value::Real(*n));
        Ok(format!("{column} {} {arg}", sql_op(op)))
    }

    fn compare(&mut self, name: &Name, op: Op, value: &Literal) -> Result<String> {
        Ok(match entity(name)? {
            Entity::Metric(key) => {
                let k = self.bind(Value::Text(key));
                let cmp = self.number_comparison("m.value", op, value, name)?;
                format!(
                    "r.run_id IN (SELECT m.run_id FROM latest_metrics m WHERE m.key = {k} AND {cmp})"
                )
            }
            Entity::Param(key) => {
                let k = self.bind(Value::Text(key));
                let cmp = self.text_comparison("p.value", op, value, name)?;
                format!("r.run_id IN (SELECT p.run_id FROM params p WHERE p.key = {k} AND {cmp})")
            }
            Entity::Tag(key) => {
                let k = self.bind(Value::Text(key));
                let cmp = self.text_comparison("t.value", op, value, name)?;
                format!("r.run_id IN (SELECT t.run_id FROM tags t WHERE t.key = {k} AND {cmp})")
            }
            Entity::Attribute(column, Kind::Text) => {
                let v = match (column, value) {
                    // MLflow users write statuses in either case.
                    ("r.status", Literal::String(s)) => Literal::String(s.to_ascii_uppercase()),
                    _ => value.clone(),
                };
                self.text_comparison(column, op, &v, name)?
            }
            Entity::Attribute(column, Kind::Number) => {
                self.number_comparison(column, op, value, name)?
            }
            Entity::Dataset(column) => {
                let cmp = self.text_comparison(column, op, value, name)?;
                format!(
                    "r.run_id IN (SELECT i.run_id FROM run_inputs i JOIN datasets d ON d.dataset_id = i.dataset_id WHERE {cmp})"
                )
            }
        })
    }

    fn within(&mut self, name: &Name, negated: bool, values: &[Literal]) -> Result<String> {
        let entity = entity(name)?;
        let kind_ok = |lit: &Literal, want: Kind| {
            matches!(
                (lit, want),
                (Literal::Number(_), Kind::Number) | (Literal::String(_), Kind::Text)
            )
        };
        let want = match &entity {
            Entity::Metric(_) => Kind::Number,
            Entity::Attribute(_, k) => *k,
            _ => Kind::Text,
        };
        if let Some(bad) = values.iter().find(|v| !kind_ok(v, want)) {
            return Err(query_error(
                "filter",
                format!(
                    "`{}` IN (...) needs {} values; found {bad:?}",
                    name.dotted(),
                    if want == Kind::Number {
                        "number"
                    } else {
                        "quoted text"
                    }
                ),
            ));
        }
        let list = values
            .iter()
            .map(|v| self.bind(literal_value(v)))
            .collect::<Vec<_>>()
            .join(", ");
        let not = if negated { "NOT " } else { "" };
        Ok(match entity {
            Entity::Metric(key) => {
                let k = self.bind(Value::Text(key));
                format!(
                    "r.run_id IN (SELECT m.run_id FROM latest_metrics m WHERE m.key = {k} AND m.value {not}IN ({list}))"
                )
            }
            Entity::Param(key) => {
                let k = self.bind(Value::Text(key));
                format!(
                    "r.run_id IN (SELECT p.run_id FROM params p WHERE p.key = {k} AND p.value {not}IN ({list}))"
                )
            }
            Entity::Tag(key) => {
                let k = self.bind(Value::Text(key));
                format!(
                    "r.run_id IN (SELECT t.run_id FROM tags t WHERE t.key = {k} AND t.value {not}IN ({list}))"
                )
            }
            Entity::Attribute(column, _) => format!("{column} {not}IN ({list})"),
            Entity::Dataset(column) => format!(
                "r.run_id IN (SELECT i.run_id FROM run_inputs i JOIN datasets d ON d.dataset_id = i.dataset_id WHERE {column} {not}IN ({list}))"
            ),
        })
    }

    fn is_null(&mut self, name: &Name, negated: bool) -> Result<String> {
        let exists = match entity(name)? {
            Entity::Metric(key) => {
                let k = self.bind(Value::Text(key));
                format!("r.run_id IN (SELECT m.run_id FROM latest_metrics m WHERE m.key = {k})")
            }
            Entity::Param(key) => {
                let k = self.bind(Value::Text(key));
                format!("r.run_id IN (SELECT p.run_id FROM params p WHERE p.key = {k})")
            }
            Entity::Tag(key) => {
                let k = self.bind(Value::Text(key));
                format!("r.run_id IN (SELECT t.run_id FROM tags t WHERE t.key = {k})")
            }
            Entity::Attribute(column, _) => format!("{column} IS NOT NULL"),
            Entity::Dataset(column) => format!(
                "r.run_id IN (SELECT i.run_id FROM run_inputs i JOIN datasets d ON d.dataset_id = i.dataset_id WHERE {column} IS NOT NULL)"
            ),
        };
        Ok(if negated {
            exists
        } else {
            format!("NOT {exists}")
        })
    }

    fn expr(&mut self, e: &Expr) -> Result<String> {
        Ok(match e {
            Expr::And(a, b) => format!("({} AND {})", self.expr(a)?, self.expr(b)?),
            Expr::Or(a, b) => format!("({} OR {})", self.expr(a)?, self.expr(b)?),
            Expr::Not(a) => format!("(NOT {})", self.expr(a)?),
            Expr::Compare { name, op, value } => self.compare(name, *op, value)?,
            Expr::In {
                name,
                negated,
                values,
            } => self.within(name, *negated, values)?,
            Expr::IsNull { name, negated } => self.is_null(name, *negated)?,
        })
    }

    /// The sort key for one order-by clause.
    /// The sort key for clause number `i`: a `LEFT JOIN` to add (for a metric, param or tag)
    /// and the `ORDER BY` terms.
    fn sort_key(&mut self, i: usize, order: &OrderBy) -> Result<(Option<String>, String)> {
        let dir = if order.descending { "DESC" } else { "ASC" };
        let (join, value) = match entity(&order.name).map_err(|e| match e {
            RunsError::Query { message, .. } => query_error("order_by", message),
            other => other,
        })? {
            Entity::Metric(key) => {
                let k = self.bind(Value::Text(key));
                (
                    Some(format!(
                        "LEFT JOIN latest_metrics s{i} ON s{i}.run_id = r.run_id AND s{i}.key = {k}"
                    )),
                    format!("s{i}.value"),
                )
            }
            Entity::Param(key) => {
                let k = self.bind(Value::Text(key));
                (
                    Some(format!(
                        "LEFT JOIN params s{i} ON s{i}.run_id = r.run_id AND s{i}.key = {k}"
                    )),
                    format!("s{i}.value"),
                )
            }
            Entity::Tag(key) => {
                let k = self.bind(Value::Text(key));
                (
                    Some(format!(
                        "LEFT JOIN tags s{i} ON s{i}.run_id = r.run_id AND s{i}.key = {k}"
                    )),
                    format!("s{i}.value"),
                )
            }
            Entity::Attribute(column, _) => (None, column.to_string()),
            Entity::Dataset(_) => {
                return Err(query_error(
                    "order_by",
                    "runs cannot be ordered by their datasets",
                ));
            }
        };
        // Missing values last, whichever the direction (as MLflow).
        Ok((join, format!("{value} IS NULL, {value} {dir}")))
    }
}

fn page_offset(token: Option<&str>) -> Result<usize> {
    match token.filter(|t| !t.is_empty()) {
        None => Ok(0),
        Some(t) => t
            .strip_prefix("offset:")
            .and_then(|n| n.parse::<usize>().ok())
            .ok_or_else(|| {
                RunsError::invalid(
                    "page_token",
                    "not a token this server issued; pass next_page_token from the previous page",
                )
            }),
    }
}

impl Store {
    /// Runs matching `query`, one page at a time.
    ///
    /// # Errors
    /// [`RunsError::Query`] for a filter or order-by that does not parse or names something runs
    /// do not have; [`RunsError::Invalid`] for a bad page size or token.
    pub fn search_runs(&self, query: &RunQuery) -> Result<RunPage> {
        if query.max_results == 0 || query.max_results > MAX_RESULTS_LIMIT {
            return Err(RunsError::invalid(
                "max_results",
                format!("{}; expected 1 to {MAX_RESULTS_LIMIT}", query.max_results),
            ));
        }
        let offset = page_offset(query.page_token.as_deref())?;
        let mut args: Vec<Value> = Vec::new();
        let mut compiler = Compiler { args: &mut args };
        let mut conditions = vec![query.view.condition("r.lifecycle_stage")];
        if !query.experiment_ids.is_empty() {
            let ids = query
                .experiment_ids
                .iter()
                .map(|id| compiler.bind(Value::Integer(*id)))
                .collect::<Vec<_>>()
                .join(", ");
            conditions.push(format!("r.experiment_id IN ({ids})"));
        }
        // The runs a selective top-level condition names drive the query (`CROSS JOIN` keeps
        // SQLite from scanning every run of the experiment first): a param or tag equality or
        // IN list before a metric range.
        let mut driver: Option<(u8, String)> = None;
        if let Some(text) = query.filter.as_deref().filter(|f| !f.trim().is_empty()) {
            let expr = kiln_query::parse(text)
                .map_err(|e| query_error("filter", format!("{e}\n{}", e.render(text))))?;
            for conjunct in expr.conjuncts() {
                let sql = compiler.expr(conjunct)?;
                let rank = match conjunct {
                    Expr::Compare { name, op, .. } => match (entity(name)?, op) {
                        (Entity::Param(_) | Entity::Tag(_), Op::Eq) => Some(0),
                        (Entity::Metric(_), Op::Eq | Op::Lt | Op::Le | Op::Gt | Op::Ge) => Some(2),
                        _ => None,
                    },
                    Expr::In {
                        name,
                        negated: false,
                        ..
                    } => match entity(name)? {
                        Entity::Param(_) | Entity::Tag(_) => Some(1),
                        _ => None,
                    },
                    _ => None,
                };
                if let (Some(rank), Some(subquery)) = (rank, sql.strip_prefix("r.run_id IN "))
                    && driver.as_ref().is_none_or(|(best, _)| rank < *best)
                {
                    driver = Some((rank, subquery.to_string()));
                }
                conditions.push(sql);
            }
        }
        let mut order = Vec::new();
        let mut joins = Vec::new();
        for (i, clause) in query.order_by.iter().enumerate() {
            let parsed = kiln_query::parse_order_by(clause)
                .map_err(|e| query_error("order_by", format!("{e}\n{}", e.render(clause))))?;
            let (join, terms) = compiler.sort_key(i, &parsed)?;
            joins.extend(join);
            order.push(terms);
        }
        order.push("r.start_time DESC, r.run_id ASC".to_string());
        let limit = compiler.bind(Value::Integer(query.max_results as i64 + 1));
        let skip = compiler.bind(Value::Integer(offset as i64));
        let from = match &driver {
            Some((_, subquery)) => {
                format!("{subquery} AS driver CROSS JOIN runs r ON r.run_id = driver.run_id")
            }
            None => "runs r".to_string(),
        };
        let sql = format!(
            "SELECT {} FROM {from} {} WHERE {} ORDER BY {} LIMIT {limit} OFFSET {skip}",
            RUN_COLUMNS
                .split(", ")
                .map(|c| format!("r.{}", c.trim()))
                .collect::<Vec<_>>()
                .join(", "),
            joins.join(" "),
            conditions.join(" AND "),
            order.join(", "),
        );
        self.read(|tx| {
            let mut infos = tx
                .prepare(&sql)?
                .query_map(rusqlite::params_from_iter(args.iter()), run_info_from_row)?
                .collect::<Result<Vec<_>, _>>()?;
            let more = infos.len() > query.max_results;
            infos.truncate(query.max_results);
            let runs = runs_in(tx, infos)?;
            Ok(RunPage {
                next_page_token: more.then(|| format!("offset:{}", offset + runs.len())),
                runs,
            })
        })
    }
}
