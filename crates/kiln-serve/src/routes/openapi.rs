//! The OpenAPI 3 document served at `/openapi.json`, generated from each model's inputs.

use std::sync::Arc;

use axum::Router;
use axum::extract::State;
use axum::routing::get;
use serde_json::{Map, Value, json};

use crate::model_id::ModelId;
use crate::schema::json_schema;
use crate::state::{AppState, ModelKind};
use crate::wire::generate::{DEFAULT_MAX_TOKENS, MAX_TOKENS_CAP};

/// `GET /openapi.json`.
pub(crate) fn router() -> Router<Arc<AppState>> {
    Router::new().route("/openapi.json", get(openapi))
}

async fn openapi(State(state): State<Arc<AppState>>) -> axum::Json<Value> {
    axum::Json(document(&state))
}

/// The document: MLflow's `/invocations` with a row schema per model, and each model's KServe
/// v2 routes.
fn document(state: &AppState) -> Value {
    let mut schemas = Map::new();
    let mut paths = Map::new();
    let mut row_refs = Vec::new();
    for id in state.model_ids() {
        let Some(model) = state.get(&id.name, Some(&id.version)) else {
            continue;
        };
        let table = match &model.kind {
            ModelKind::Table(table) => table,
            ModelKind::Language(_) => {
                generate_paths(&id, &mut paths);
                continue;
            }
        };
        let row_name = format!("{}_v{}_row", id.name, id.version);
        let properties: Map<String, Value> = table
            .inputs
            .iter()
            .map(|i| (i.name().to_string(), json_schema(i)))
            .collect();
        let required: Vec<&str> = table.inputs.iter().map(|i| i.name()).collect();
        schemas.insert(
            row_name.clone(),
            json!({
                "type": "object",
                "description": format!("one row for model `{}` version {}", id.name, id.version),
                "properties": properties,
                "required": required,
                "additionalProperties": false,
            }),
        );
        row_refs.push(json!({"$ref": format!("#/components/schemas/{row_name}")}));
        let infer = json!({
            "post": {
                "summary": format!("KServe v2 inference on `{}`", id.name),
                "requestBody": {"required": true, "content": {"application/json": {"schema": {"$ref": "#/components/schemas/v2_request"}}}},
                "responses": {
                    "200": {"description": "output tensors"},
                    "400": {"description": "malformed request", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/error"}}}},
                    "503": {"description": "queue full; retry after Retry-After seconds"},
                },
            }
        });
        paths.insert(format!("/v2/models/{}/infer", id.name), infer.clone());
        paths.insert(
            format!("/v2/models/{}/versions/{}/infer", id.name, id.version),
            infer,
        );
    }
    schemas.insert(
        "error".into(),
        json!({
            "type": "object",
            "properties": {
                "error_code": {"type": "string"},
                "message": {"type": "string"},
                "error": {"type": "string"},
                "field": {"type": ["string", "null"]},
            },
        }),
    );
    generate_schemas(&mut schemas);
    schemas.insert(
        "v2_request".into(),
        json!({
            "type": "object",
            "required": ["inputs"],
            "properties": {
                "id": {"type": "string"},
                "parameters": {"type": "object"},
                "inputs": {"type": "array", "items": {
                    "type": "object",
                    "required": ["name", "shape", "datatype"],
                    "properties": {
                        "name": {"type": "string"},
                        "shape": {"type": "array", "items": {"type": "integer", "minimum": 0}},
                        "datatype": {"type": "string"},
                        "data": {"type": "array"},
                        "parameters": {"type": "object"},
                    },
                }},
                "outputs": {"type": "array", "items": {"type": "object", "properties": {"name": {"type": "string"}}}},
            },
        }),
    );
    let row = json!({"oneOf": row_refs});
    paths.insert(
        "/invocations".into(),
        json!({
            "post": {
                "summary": "MLflow scoring: exactly one of dataframe_split, dataframe_records, instances, inputs (or text/csv)",
                "parameters": [
                    {"name": "model", "in": "query", "required": false, "schema": {"type": "string"}, "description": "needed when several models are served"},
                    {"name": "version", "in": "query", "required": false, "schema": {"type": "string"}},
                ],
                "requestBody": {"required": true, "content": {
                    "application/json": {"schema": {"oneOf": [
                        {"type": "object", "required": ["dataframe_records"], "properties": {"dataframe_records": {"type": "array", "items": row}}},
                        {"type": "object", "required": ["dataframe_split"], "properties": {"dataframe_split": {"type": "object", "required": ["columns", "data"], "properties": {"columns": {"type": "array", "items": {"type": "string"}}, "data": {"type": "array", "items": {"type": "array"}}, "index": {"type": "array"}}}}},
                        {"type": "object", "required": ["instances"], "properties": {"instances": {"type": ["array", "object"]}}},
                        {"type": "object", "required": ["inputs"], "properties": {"inputs": {"type": ["array", "object"]}}},
                    ]}},
                    "text/csv": {"schema": {"type": "string"}},
                }},
                "responses": {
                    "200": {"description": "{\"predictions\": [...]}, one object per row"},
                    "400": {"description": "malformed request", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/error"}}}},
                    "401": {"description": "missing or wrong bearer token"},
                    "413": {"description": "body too large"},
                    "503": {"description": "queue full; retry after Retry-After seconds"},
                },
            }
        }),
    );
    for (path, summary) in [
        ("/ping", "MLflow liveness"),
        ("/health", "MLflow liveness"),
        ("/version", "server version"),
        ("/v2/health/live", "KServe v2 liveness"),
        ("/v2/health/ready", "KServe v2 readiness"),
        (
            "/metrics",
            "Prometheus metrics (with the monitoring gauges)",
        ),
        (
            "/monitor",
            "monitoring status of every monitored model version: {\"models\": [...]}; ?model=NAME&version=V filter",
        ),
    ] {
        paths.insert(
            path.into(),
            json!({"get": {"summary": summary, "responses": {"200": {"description": "ok"}}}}),
        );
    }
    paths.insert(
        "/feedback".into(),
        json!({
            "post": {
                "summary": "ground truth for earlier predictions: their prediction_id and the true label or value",
                "requestBody": {"required": true, "content": {"application/json": {"schema": {
                    "type": "object",
                    "required": ["ids", "truths"],
                    "properties": {
                        "model": {"type": "string", "description": "needed when several models are served"},
                        "version": {"type": "string", "description": "default: every version (ids are unique server-wide)"},
                        "ids": {"type": "array", "items": {"type": "integer", "minimum": 1}},
                        "truths": {"type": "array", "items": {"type": ["string", "number"]}},
                    },
                }}}},
                "responses": {
                    "200": {"description": "{\"matched\": n, \"unknown\": m}: ids unknown were never issued, already answered, forgotten, or belong to a replaced model"},
                    "400": {"description": "malformed body, or the model is not monitored", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/error"}}}},
                    "422": {"description": "a truth the model cannot take (unknown class, text for a number)"},
                },
            }
        }),
    );
    json!({
        "openapi": "3.0.3",
        "info": {"title": "kiln serve", "version": env!("CARGO_PKG_VERSION")},
        "paths": paths,
        "components": {
            "schemas": schemas,
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}},
        },
    })
}

/// The generate routes of language model `id`, for `/openapi.json`.
fn generate_paths(id: &ModelId, paths: &mut Map<String, Value>) {
    let body = json!({"required": true, "content": {"application/json": {"schema": {"$ref": "#/components/schemas/generate_request"}}}});
    let refused = json!({"description": "malformed request (the field is named)", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/error"}}}});
    let generate = json!({"post": {
        "summary": format!("Generate text from `{}` (Triton's generate extension)", id.name),
        "requestBody": body,
        "responses": {
            "200": {"description": "the whole continuation", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/generate_response"}}}},
            "400": refused,
            "503": {"description": "queue full; retry after Retry-After seconds"},
        },
    }});
    let stream = json!({"post": {
        "summary": format!("Generate text from `{}`, streamed as Server-Sent Events", id.name),
        "requestBody": body,
        "responses": {
            "200": {"description": "one `data: {\"model_name\", \"model_version\", \"text_output\"}` event per generated character; `data: {\"error\"}` if generation fails", "content": {"text/event-stream": {"schema": {"type": "string"}}}},
            "400": refused,
            "503": {"description": "queue full; retry after Retry-After seconds"},
        },
    }});
    for base in [
        format!("/v2/models/{}", id.name),
        format!("/v2/models/{}/versions/{}", id.name, id.version),
    ] {
        paths.insert(format!("{base}/generate"), generate.clone());
        paths.insert(format!("{base}/generate_stream"), stream.clone());
    }
}

/// The request and response schemas of the generate routes.
fn generate_schemas(schemas: &mut Map<String, Value>) {
    schemas.insert(
        "generate_request".into(),
        json!({
            "type": "object",
            "required": ["text_input"],
            "additionalProperties": false,
            "properties": {
                "text_input": {"type": "string", "description": "the prompt; every character must be in the model's vocabulary"},
                "parameters": {"type": "object", "additionalProperties": false, "properties": {
                    "max_tokens": {"type": "integer", "minimum": 1, "maximum": MAX_TOKENS_CAP, "default": DEFAULT_MAX_TOKENS},
                    "temperature": {"type": "number", "exclusiveMinimum": 0, "default": 1.0},
                    "seed": {"type": "integer", "minimum": 0, "default": 0},
                    "stream": {"type": "boolean", "description": "optional; must match the route"},
                }},
            },
        }),
    );
    schemas.insert(
        "generate_response".into(),
        json!({
            "type": "object",
            "properties": {
                "model_name": {"type": "string"},
                "model_version": {"type": "string"},
                "text_output": {"type": "string", "description": "the continuation, without the prompt"},
            },
        }),
    );
}
