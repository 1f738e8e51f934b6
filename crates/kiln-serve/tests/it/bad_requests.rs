//! Every malformed request is a 4xx JSON error naming the field, never a 5xx, and the server
//! keeps serving afterwards.

use axum::body::Body;
use axum::http::{Request, StatusCode};
use serde_json::json;

use crate::util::{Answer, fixtures, post_json, send, state_with};

/// One bad request: what it is, the request, the status, and words the message must hold.
struct Case {
    what: &'static str,
    request: Request<Body>,
    status: u16,
    needles: &'static [&'static str],
    field: Option<&'static str>,
}

fn case(
    what: &'static str,
    request: Request<Body>,
    status: u16,
    field: Option<&'static str>,
    needles: &'static [&'static str],
) -> Case {
    Case {
        what,
        request,
        status,
        needles,
        field,
    }
}

fn inv(body: serde_json::Value) -> Request<Body> {
    post_json("/invocations?model=moons", body.to_string())
}

fn infer(model: &str, body: serde_json::Value) -> Request<Body> {
    post_json(&format!("/v2/models/{model}/infer"), body.to_string())
}

fn check(c: &Case, a: &Answer) {
    assert_eq!(
        a.status.as_u16(),
        c.status,
        "{}: status {} body {}",
        c.what,
        a.status,
        a.text()
    );
    assert!(a.status.is_client_error(), "{}: {}", c.what, a.status);
    let body = a.json();
    let message = body["message"]
        .as_str()
        .unwrap_or_else(|| panic!("{}: no message: {body}", c.what));
    assert_eq!(body["error"], body["message"], "{}", c.what);
    for needle in c.needles {
        assert!(
            message.contains(needle),
            "{}: `{needle}` not in message `{message}`",
            c.what
        );
    }
    if let Some(field) = c.field {
        assert_eq!(body["field"], field, "{}: {body}", c.what);
    }
}

#[tokio::test]
async fn malformed_requests_get_4xx_naming_the_field() {
    let f = fixtures();
    let state = state_with(
        kiln_serve::ServeConfig {
            max_body_bytes: 4096,
            ..Default::default()
        },
        &[
            ("moons", &f.moons),
            ("mixed", &f.mixed),
            ("digits", &f.image),
        ],
    );
    let x = |n: f64| json!([n]);
    let good_v2 = |x0: serde_json::Value| {
        json!({"inputs": [
            {"name": "x0", "shape": [1], "datatype": "FP64", "data": x0},
            {"name": "x1", "shape": [1], "datatype": "FP64", "data": [0.5]},
        ]})
    };
    let cases = vec![
        // Bad JSON and wrong top-level shapes.
        case(
            "truncated JSON",
            post_json("/invocations?model=moons", "{\"instances\": [[0.1, "),
            400,
            None,
            &["not valid JSON", "line 1"],
        ),
        case(
            "NaN literal",
            post_json("/invocations?model=moons", "{\"instances\": [[NaN, 0.5]]}"),
            400,
            None,
            &["not valid JSON"],
        ),
        case(
            "not an object",
            inv(json!([1, 2])),
            400,
            None,
            &["expected a JSON object"],
        ),
        case("no format key", inv(json!({})), 400, None, &["none of"]),
        case(
            "two format keys",
            inv(json!({"instances": [[0.1, 0.5]], "inputs": [[0.1, 0.5]]})),
            400,
            None,
            &["exactly one"],
        ),
        case(
            "unknown key",
            inv(json!({"instances": [[0.1, 0.5]], "rows": 1})),
            400,
            Some("rows"),
            &["unexpected key"],
        ),
        case(
            "params",
            inv(json!({"instances": [[0.1, 0.5]], "params": {"k": 1}})),
            400,
            Some("params"),
            &["no inference parameters"],
        ),
        // dataframe_split shapes.
        case(
            "split without columns",
            inv(json!({"dataframe_split": {"data": [[0.1, 0.5]]}})),
            400,
            Some("dataframe_split.columns"),
            &["missing"],
        ),
        case(
            "split without data",
            inv(json!({"dataframe_split": {"columns": ["x0", "x1"]}})),
            400,
            Some("dataframe_split.data"),
            &["missing"],
        ),
        case(
            "split row too short",
            inv(json!({"dataframe_split": {"columns": ["x0", "x1"], "data": [[0.1, 0.5], [0.2]]}})),
            400,
            Some("dataframe_split.data[1]"),
            &["expected 2 values", "found 1"],
        ),
        case(
            "split row not an array",
            inv(json!({"dataframe_split": {"columns": ["x0", "x1"], "data": [7]}})),
            400,
            Some("dataframe_split.data[0]"),
            &["expected a row"],
        ),
        case(
            "split column twice",
            inv(json!({"dataframe_split": {"columns": ["x0", "x0"], "data": [[0.1, 0.5]]}})),
            400,
            Some("dataframe_split.columns"),
            &["given twice"],
        ),
        case(
            "split unknown key",
            inv(
                json!({"dataframe_split": {"columns": ["x0", "x1"], "data": [[0.1, 0.5]], "dtypes": {}}}),
            ),
            400,
            Some("dataframe_split.dtypes"),
            &["unexpected key"],
        ),
        // Missing and extra features.
        case(
            "missing feature",
            inv(json!({"dataframe_records": [{"x0": 0.1}]})),
            400,
            Some("x1"),
            &["missing", "a finite number"],
        ),
        case(
            "extra feature",
            inv(json!({"dataframe_records": [{"x0": 0.1, "x1": 0.5, "x2": 1}]})),
            400,
            Some("x2"),
            &["no input called `x2`", "x0"],
        ),
        case(
            "feature missing in a later row",
            inv(json!({"dataframe_records": [{"x0": 0.1, "x1": 0.5}, {"x0": 0.2}]})),
            400,
            Some("x1"),
            &["missing in row 1"],
        ),
        case(
            "positional row of the wrong width",
            inv(json!({"instances": [[0.1, 0.5, 0.7]]})),
            400,
            Some("instances[0]"),
            &["list of 2 values"],
        ),
        case(
            "columns of different lengths",
            inv(json!({"inputs": {"x0": [0.1, 0.2], "x1": [0.5]}})),
            400,
            Some("x1"),
            &["has 1 values but other features have 2"],
        ),
        // Wrong types.
        case(
            "string for a number",
            inv(json!({"dataframe_records": [{"x0": "0.1", "x1": 0.5}]})),
            400,
            Some("x0"),
            &["row 0", "expected a finite number", "found a string"],
        ),
        case(
            "boolean for a number",
            inv(
                json!({"dataframe_split": {"columns": ["x0", "x1"], "data": [[0.1, 0.5], [true, 0.5]]}}),
            ),
            400,
            Some("x0"),
            &["row 1", "found a boolean"],
        ),
        case(
            "array for a number",
            inv(json!({"dataframe_records": [{"x0": [1], "x1": 0.5}]})),
            400,
            Some("x0"),
            &["found an array"],
        ),
        case(
            "object for a category",
            post_json(
                "/invocations?model=mixed",
                json!({"dataframe_records": [{"size": 1, "color": {"r": 1}, "fresh": "yes"}]})
                    .to_string(),
            ),
            400,
            Some("color"),
            &["found an object"],
        ),
        case(
            "binary value neither of the two",
            post_json(
                "/invocations?model=mixed",
                json!({"dataframe_records": [{"size": 1, "color": "red", "fresh": "maybe"}]})
                    .to_string(),
            ),
            400,
            Some("fresh"),
            &["`maybe` is neither"],
        ),
        // Missing values where no fill exists (JSON null, CSV NaN), and allowed where it does.
        case(
            "null without a fill",
            inv(json!({"instances": [[null, 0.5]]})),
            400,
            Some("x0"),
            &["missing value", "no fill"],
        ),
        case(
            "null binary without a fill",
            post_json(
                "/invocations?model=mixed",
                json!({"dataframe_records": [{"size": 1, "color": "red", "fresh": null}]})
                    .to_string(),
            ),
            400,
            Some("fresh"),
            &["missing value"],
        ),
        case(
            "CSV NaN without a fill",
            Request::post("/invocations?model=moons")
                .header("content-type", "text/csv")
                .body(Body::from("x0,x1\nNaN,0.5\n"))
                .unwrap(),
            400,
            Some("x0"),
            &["missing value"],
        ),
        case(
            "CSV infinity",
            Request::post("/invocations?model=moons")
                .header("content-type", "text/csv")
                .body(Body::from("x0,x1\ninf,0.5\n"))
                .unwrap(),
            400,
            Some("x0"),
            &["finite number", "inf"],
        ),
        case(
            "CSV text for a number",
            Request::post("/invocations?model=moons")
                .header("content-type", "text/csv")
                .body(Body::from("x0,x1\nabc,0.5\n"))
                .unwrap(),
            400,
            Some("x0"),
            &["row 0", "abc"],
        ),
        case(
            "CSV ragged row",
            Request::post("/invocations?model=moons")
                .header("content-type", "text/csv")
                .body(Body::from("x0,x1\n0.1\n"))
                .unwrap(),
            400,
            None,
            &["CSV row 0"],
        ),
        case(
            "CSV unknown column",
            Request::post("/invocations?model=moons")
                .header("content-type", "text/csv")
                .body(Body::from("x0,x1,z\n0.1,0.5,1\n"))
                .unwrap(),
            400,
            Some("z"),
            &["no input called"],
        ),
        // Empty batches.
        case(
            "empty records",
            inv(json!({"dataframe_records": []})),
            400,
            None,
            &["empty batch"],
        ),
        case(
            "empty split",
            inv(json!({"dataframe_split": {"columns": ["x0", "x1"], "data": []}})),
            400,
            None,
            &["empty batch"],
        ),
        case(
            "empty instances",
            inv(json!({"instances": []})),
            400,
            None,
            &["empty batch"],
        ),
        case(
            "empty CSV",
            Request::post("/invocations?model=moons")
                .header("content-type", "text/csv")
                .body(Body::from("x0,x1\n"))
                .unwrap(),
            400,
            None,
            &["empty batch"],
        ),
        case(
            "empty v2 tensors",
            infer(
                "moons",
                json!({"inputs": [{"name": "x0", "shape": [0], "datatype": "FP64", "data": []}, {"name": "x1", "shape": [0], "datatype": "FP64", "data": []}]}),
            ),
            400,
            None,
            &["empty batch"],
        ),
        // Images.
        case(
            "image of the wrong size",
            post_json(
                "/invocations?model=digits",
                json!({"instances": [[1, 2, 3]]}).to_string(),
            ),
            400,
            Some("image"),
            &["16 integers", "found 3 values"],
        ),
        case(
            "pixel out of range",
            post_json(
                "/invocations?model=digits",
                json!({"instances": [vec![300; 16]]}).to_string(),
            ),
            400,
            Some("image"),
            &["pixel 0", "0..=255", "300"],
        ),
        case(
            "fractional pixel",
            post_json(
                "/invocations?model=digits",
                json!({"instances": [vec![1.5; 16]]}).to_string(),
            ),
            400,
            Some("image"),
            &["0..=255"],
        ),
        case(
            "image as a scalar",
            post_json(
                "/invocations?model=digits",
                json!({"instances": [7]}).to_string(),
            ),
            400,
            Some("image"),
            &["found a number"],
        ),
        case(
            "image over CSV",
            Request::post("/invocations?model=digits")
                .header("content-type", "text/csv")
                .body(Body::from("image\n1\n"))
                .unwrap(),
            400,
            Some("image"),
            &["cannot be sent as CSV"],
        ),
        // KServe v2.
        case(
            "v2 without inputs",
            infer("moons", json!({"id": "1"})),
            400,
            Some("inputs"),
            &["missing"],
        ),
        case(
            "v2 unknown key",
            infer("moons", json!({"inputs": [], "extra": 1})),
            400,
            Some("extra"),
            &["unexpected key"],
        ),
        case(
            "v2 input without a name",
            infer(
                "moons",
                json!({"inputs": [{"shape": [1], "datatype": "FP64", "data": [1]}]}),
            ),
            400,
            Some("inputs[0].name"),
            &["missing"],
        ),
        case(
            "v2 negative shape",
            infer(
                "moons",
                json!({"inputs": [{"name": "x0", "shape": [-1], "datatype": "FP64", "data": [1]}]}),
            ),
            400,
            Some("x0"),
            &["non-negative"],
        ),
        case(
            "v2 shape and data disagree",
            infer(
                "moons",
                json!({"inputs": [{"name": "x0", "shape": [2], "datatype": "FP64", "data": [1]}, {"name": "x1", "shape": [2], "datatype": "FP64", "data": [1, 2]}]}),
            ),
            400,
            Some("x0"),
            &["holds 2 values but 1 were sent"],
        ),
        case(
            "v2 too many values per row",
            infer(
                "moons",
                json!({"inputs": [{"name": "x0", "shape": [1, 2], "datatype": "FP64", "data": [1, 2]}]}),
            ),
            400,
            Some("x0"),
            &["expected 1 values per row"],
        ),
        case(
            "v2 rows disagree",
            infer(
                "moons",
                json!({"inputs": [{"name": "x0", "shape": [1], "datatype": "FP64", "data": [1]}, {"name": "x1", "shape": [2], "datatype": "FP64", "data": [1, 2]}]}),
            ),
            400,
            Some("x1"),
            &["has 2 rows but other inputs have 1"],
        ),
        case(
            "v2 wrong datatype",
            infer(
                "moons",
                json!({"inputs": [{"name": "x0", "shape": [1], "datatype": "BYTES", "data": ["a"]}]}),
            ),
            400,
            Some("x0"),
            &["datatype `BYTES`", "FP64"],
        ),
        case(
            "v2 input twice",
            infer(
                "moons",
                json!({"inputs": [{"name": "x0", "shape": [1], "datatype": "FP64", "data": [1]}, {"name": "x0", "shape": [1], "datatype": "FP64", "data": [1]}]}),
            ),
            400,
            Some("x0"),
            &["given twice"],
        ),
        case(
            "v2 missing input",
            infer(
                "moons",
                json!({"inputs": [{"name": "x0", "shape": [1], "datatype": "FP64", "data": [1]}]}),
            ),
            400,
            Some("x1"),
            &["missing"],
        ),
        case(
            "v2 unknown input",
            infer(
                "moons",
                json!({"inputs": [{"name": "q", "shape": [1], "datatype": "FP64", "data": [1]}]}),
            ),
            400,
            Some("q"),
            &["no input called `q`"],
        ),
        case(
            "v2 string in numeric data",
            infer("moons", good_v2(json!(["a"]))),
            400,
            Some("x0"),
            &["found a string"],
        ),
        case(
            "v2 null without a fill",
            infer("moons", good_v2(json!([null]))),
            400,
            Some("x0"),
            &["missing value"],
        ),
        case(
            "v2 unknown output",
            infer(
                "moons",
                json!({"inputs": good_v2(x(0.1))["inputs"], "outputs": [{"name": "logits"}]}),
            ),
            400,
            Some("outputs[0].name"),
            &["no output `logits`"],
        ),
        case(
            "v2 bad binary header",
            Request::post("/v2/models/moons/infer")
                .header("inference-header-content-length", "lots")
                .body(Body::from("{}"))
                .unwrap(),
            400,
            None,
            &["Inference-Header-Content-Length"],
        ),
        case(
            "v2 binary header past the end",
            Request::post("/v2/models/moons/infer")
                .header("inference-header-content-length", "99")
                .body(Body::from("{}"))
                .unwrap(),
            400,
            None,
            &["99"],
        ),
        case(
            "v2 binary size past the end",
            {
                let h = json!({"inputs": [{"name": "x0", "shape": [1], "datatype": "FP64", "parameters": {"binary_data_size": 8}}]}).to_string();
                Request::post("/v2/models/moons/infer")
                    .header("inference-header-content-length", h.len())
                    .body(Body::from(h + "1234"))
                    .unwrap()
            },
            400,
            Some("x0"),
            &["only 4 bytes"],
        ),
        case(
            "v2 NaN in binary FP64 without a fill",
            {
                let h = json!({"inputs": [{"name": "x0", "shape": [1], "datatype": "FP64", "parameters": {"binary_data_size": 8}}, {"name": "x1", "shape": [1], "datatype": "FP64", "data": [0.5]}]}).to_string();
                let mut body = h.clone().into_bytes();
                body.extend_from_slice(&f64::NAN.to_le_bytes());
                Request::post("/v2/models/moons/infer")
                    .header("inference-header-content-length", h.len())
                    .body(Body::from(body))
                    .unwrap()
            },
            400,
            Some("x0"),
            &["missing value"],
        ),
        case(
            "v2 infinity in binary FP64",
            {
                let h = json!({"inputs": [{"name": "x0", "shape": [1], "datatype": "FP64", "parameters": {"binary_data_size": 8}}, {"name": "x1", "shape": [1], "datatype": "FP64", "data": [0.5]}]}).to_string();
                let mut body = h.clone().into_bytes();
                body.extend_from_slice(&f64::INFINITY.to_le_bytes());
                Request::post("/v2/models/moons/infer")
                    .header("inference-header-content-length", h.len())
                    .body(Body::from(body))
                    .unwrap()
            },
            400,
            Some("x0"),
            &["expected a finite number"],
        ),
        // Transport-level problems.
        case(
            "unsupported content type",
            Request::post("/invocations?model=moons")
                .header("content-type", "application/xml")
                .body(Body::from("<x/>"))
                .unwrap(),
            415,
            None,
            &["application/xml"],
        ),
        case(
            "body over the limit",
            inv(json!({"instances": vec![[0.1, 0.5]; 1000]})),
            413,
            None,
            &["4096 bytes"],
        ),
        case(
            "unknown model",
            post_json("/invocations?model=nope", "{}"),
            404,
            None,
            &["no model named `nope`"],
        ),
        case(
            "unknown v2 model",
            infer("nope", json!({})),
            404,
            None,
            &["no model named `nope`"],
        ),
        case(
            "unknown route",
            Request::get("/v3/whatever").body(Body::empty()).unwrap(),
            404,
            None,
            &["no such route"],
        ),
    ];
    let n = cases.len();
    for mut c in cases {
        let request = std::mem::replace(&mut c.request, Request::new(Body::empty()));
        let a = send(&state, request).await;
        check(&c, &a);
    }
    assert!(n >= 60, "{n} cases");
    // Still serving, and none of the above counted as a server error.
    let a = send(&state, inv(json!({"instances": [[0.1, 0.5]]}))).await;
    assert_eq!(a.status, StatusCode::OK, "{}", a.text());
    let metrics = send(&state, crate::util::get("/metrics")).await.text();
    assert!(!metrics.contains("status=\"5"), "{metrics}");
}

#[tokio::test]
async fn a_token_guards_everything_but_health() {
    let f = fixtures();
    let state = state_with(
        kiln_serve::ServeConfig {
            token: Some("s3cret-token".into()),
            ..Default::default()
        },
        &[("moons", &f.moons)],
    );
    let body = json!({"instances": [[0.1, 0.5]]}).to_string();
    let with = |auth: Option<&str>| {
        let mut r = Request::post("/invocations").header("content-type", "application/json");
        if let Some(a) = auth {
            r = r.header("authorization", a);
        }
        r.body(Body::from(body.clone())).unwrap()
    };
    for auth in [
        None,
        Some("Bearer wrong"),
        Some("Bearer s3cret-toke"),
        Some("s3cret-token"),
        Some("Basic s3cret-token"),
    ] {
        let a = send(&state, with(auth)).await;
        assert_eq!(a.status, StatusCode::UNAUTHORIZED, "{auth:?}");
        assert_eq!(a.headers["www-authenticate"], "Bearer");
        assert!(
            a.json()["message"]
                .as_str()
                .unwrap()
                .contains("bearer token")
        );
    }
    assert_eq!(
        send(&state, with(Some("Bearer s3cret-token"))).await.status,
        StatusCode::OK
    );
    for path in ["/metrics", "/openapi.json", "/v2/models/moons", "/v2"] {
        assert_eq!(
            send(&state, crate::util::get(path)).await.status,
            StatusCode::UNAUTHORIZED,
            "{path}"
        );
    }
    for path in ["/ping", "/health", "/v2/health/live", "/v2/health/ready"] {
        assert_eq!(
            send(&state, crate::util::get(path)).await.status,
            StatusCode::OK,
            "{path}"
        );
    }
    let a = send(
        &state,
        Request::post("/admin/reload").body(Body::empty()).unwrap(),
    )
    .await;
    assert_eq!(a.status, StatusCode::UNAUTHORIZED);
}
