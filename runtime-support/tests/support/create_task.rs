//! `CreateTaskInput` of the tasks example, as the Rust emitter writes it (types and decode modules, copied from `generated-example/crates/tasks-api/src/`), and a wider `Kitchen` input in the same shape with one field of each kind the typed fast path reads: shared by the fast-path tests and the decode benchmark.

#![allow(dead_code)]

use bunbase_runtime::serde_json::{Map, Value};
use bunbase_runtime::wire::{self, Decode, Decoder};

#[derive(Debug, Clone, Copy, PartialEq, Eq, bunbase_runtime::serde::Serialize)]
#[serde(crate = "::bunbase_runtime::serde")]
pub enum TaskStatus {
    #[serde(rename = "open")]
    Open,
    #[serde(rename = "in_progress")]
    InProgress,
    #[serde(rename = "done")]
    Done,
}

impl<'de> bunbase_runtime::serde::Deserialize<'de> for TaskStatus {
    fn deserialize<D: bunbase_runtime::serde::Deserializer<'de>>(de: D) -> Result<Self, D::Error> {
        wire::fast::enum_str(de, |s| match s {
            "open" => Some(TaskStatus::Open),
            "in_progress" => Some(TaskStatus::InProgress),
            "done" => Some(TaskStatus::Done),
            _ => None,
        })
    }
}

impl Decode for TaskStatus {
    fn decode(d: &mut Decoder, value: Value) -> Option<Self> {
        let s = wire::enum_value(d, value, &["open", "in_progress", "done"])?;
        match s.as_str() {
            "open" => Some(TaskStatus::Open),
            "in_progress" => Some(TaskStatus::InProgress),
            "done" => Some(TaskStatus::Done),
            _ => None,
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct CreateTaskInput {
    pub title: String,
    pub description: Option<String>,
    pub status: TaskStatus,
    pub tags: Vec<String>,
    pub due_at: Option<chrono::DateTime<chrono::Utc>>,
}

impl CreateTaskInput {
    pub fn decode_object(d: &mut Decoder, mut obj: Map<String, Value>) -> Option<Self> {
        let title = wire::field(d, &mut obj, "title", |d: &mut Decoder, v: Value| {
            let x = wire::string(d, v)?;
            wire::min_len(d, &x, 1);
            wire::max_len(d, &x, 200);
            Some(x)
        });
        let description =
            wire::optional_field(d, &mut obj, "description", |d: &mut Decoder, v: Value| {
                let x = wire::string(d, v)?;
                wire::max_len(d, &x, 5000);
                Some(x)
            });
        let status = wire::default_field(
            d,
            &mut obj,
            "status",
            || Value::from("open"),
            <TaskStatus as Decode>::decode,
        );
        let tags = wire::default_field(
            d,
            &mut obj,
            "tags",
            || Value::Array(vec![]),
            |d: &mut Decoder, v: Value| {
                let x = wire::list(d, v, wire::string)?;
                wire::max_items(d, x.len(), 20);
                wire::unique(d, &x);
                Some(x)
            },
        );
        let due_at = wire::optional_field(d, &mut obj, "due_at", wire::datetime);
        wire::deny_unknown(d, obj);
        Some(Self {
            title: title?,
            description: description?,
            status: status?,
            tags: tags?,
            due_at: due_at?,
        })
    }
}

impl Decode for CreateTaskInput {
    fn decode(d: &mut Decoder, value: Value) -> Option<Self> {
        let obj = wire::object(d, value)?;
        Self::decode_object(d, obj)
    }
    fn from_body(bytes: &[u8]) -> Option<Self> {
        #[derive(bunbase_runtime::serde::Deserialize)]
        #[serde(
            crate = "::bunbase_runtime::serde",
            remote = "CreateTaskInput",
            deny_unknown_fields
        )]
        #[allow(dead_code)]
        struct CreateTaskInputBody {
            title: String,
            #[serde(default)]
            description: Option<String>,
            #[serde(default = "CreateTaskInputBody::status")]
            status: TaskStatus,
            #[serde(default = "CreateTaskInputBody::tags")]
            tags: Vec<String>,
            #[serde(deserialize_with = "wire::fast::text_opt", default)]
            due_at: Option<chrono::DateTime<chrono::Utc>>,
        }
        impl CreateTaskInputBody {
            fn status() -> TaskStatus {
                TaskStatus::Open
            }
            fn tags() -> Vec<String> {
                Vec::new()
            }
        }
        let v: CreateTaskInput =
            wire::fast::body(bytes, |de| CreateTaskInputBody::deserialize(de))?;
        let d = &mut wire::fast::Checks::default();
        {
            let x = &v.title;
            wire::min_len(d, x, 1);
            wire::max_len(d, x, 200);
        }
        if let Some(x) = &v.description {
            wire::max_len(d, x, 5000);
        }
        {
            let x = &v.tags;
            wire::max_items(d, x.len(), 20);
            wire::unique(d, x);
        }
        d.passed().then_some(v)
    }
}

/// One field of every other kind the fast path reads.
#[derive(Debug, Clone, PartialEq)]
pub struct Kitchen {
    pub id: uuid::Uuid,
    pub limit: i64,
    pub big: Option<i64>,
    pub small: i32,
    pub ratio: f64,
    pub on: bool,
    pub email: String,
    pub site: Option<String>,
    pub day: Option<chrono::NaiveDate>,
    pub states: Vec<TaskStatus>,
}

impl Decode for Kitchen {
    fn decode(d: &mut Decoder, value: Value) -> Option<Self> {
        let mut obj = wire::object(d, value)?;
        let id = wire::field(d, &mut obj, "id", wire::uuid);
        let limit = wire::default_field(
            d,
            &mut obj,
            "limit",
            || Value::from(20i64),
            |d: &mut Decoder, v: Value| {
                let x = wire::int(d, v)?;
                wire::min(d, x, 1);
                wire::max(d, x, 100);
                Some(x)
            },
        );
        let big = wire::optional_field(d, &mut obj, "big", |d: &mut Decoder, v: Value| {
            let x = wire::int64(d, v)?;
            wire::min(d, x, -5);
            Some(x)
        });
        let small = wire::field(d, &mut obj, "small", wire::int32);
        let ratio = wire::field(d, &mut obj, "ratio", |d: &mut Decoder, v: Value| {
            let x = wire::float(d, v)?;
            wire::max(d, x, 1.5);
            Some(x)
        });
        let on = wire::default_field(d, &mut obj, "on", || Value::Bool(true), wire::boolean);
        let email = wire::field(d, &mut obj, "email", |d: &mut Decoder, v: Value| {
            let x = wire::email(d, v)?;
            wire::max_len(d, &x, 30);
            Some(x)
        });
        let site = wire::optional_field(d, &mut obj, "site", wire::url);
        let day = wire::optional_field(d, &mut obj, "day", wire::date);
        let states = wire::field(d, &mut obj, "states", |d: &mut Decoder, v: Value| {
            let x = wire::list(d, v, <TaskStatus as Decode>::decode)?;
            wire::min_items(d, x.len(), 1);
            Some(x)
        });
        wire::deny_unknown(d, obj);
        Some(Self {
            id: id?,
            limit: limit?,
            big: big?,
            small: small?,
            ratio: ratio?,
            on: on?,
            email: email?,
            site: site?,
            day: day?,
            states: states?,
        })
    }
    fn from_body(bytes: &[u8]) -> Option<Self> {
        #[derive(bunbase_runtime::serde::Deserialize)]
        #[serde(
            crate = "::bunbase_runtime::serde",
            remote = "Kitchen",
            deny_unknown_fields
        )]
        #[allow(dead_code)]
        struct KitchenBody {
            #[serde(deserialize_with = "wire::fast::text")]
            id: uuid::Uuid,
            #[serde(default = "KitchenBody::limit")]
            limit: i64,
            #[serde(deserialize_with = "wire::fast::int64_opt", default)]
            big: Option<i64>,
            small: i32,
            ratio: f64,
            #[serde(default = "KitchenBody::on")]
            on: bool,
            email: String,
            #[serde(default)]
            site: Option<String>,
            #[serde(deserialize_with = "wire::fast::text_opt", default)]
            day: Option<chrono::NaiveDate>,
            states: Vec<TaskStatus>,
        }
        impl KitchenBody {
            fn limit() -> i64 {
                20
            }
            fn on() -> bool {
                true
            }
        }
        let v: Kitchen = wire::fast::body(bytes, |de| KitchenBody::deserialize(de))?;
        let d = &mut wire::fast::Checks::default();
        {
            let x = v.limit;
            wire::min(d, x, 1);
            wire::max(d, x, 100);
            wire::int_range(d, x);
        }
        if let Some(x) = v.big {
            wire::min(d, x, -5);
        }
        {
            let x = v.ratio;
            wire::max(d, x, 1.5);
        }
        {
            let x = &v.email;
            wire::max_len(d, x, 30);
            wire::email_format(d, x);
        }
        if let Some(x) = &v.site {
            wire::url_format(d, x);
        }
        {
            let x = &v.states;
            wire::min_items(d, x.len(), 1);
        }
        d.passed().then_some(v)
    }
}

/// The decoding path alone: the strict reader, then [`Decode`], as
/// `wire::http_input` runs it for a body that is the whole input.
pub fn slow<T: Decode>(bytes: &[u8]) -> Result<T, String> {
    let value = bunbase_runtime::strict_json::parse(bytes).map_err(|e| format!("{e:?}"))?;
    wire::decode_document(value).map_err(|v| format!("{v:?}"))
}
