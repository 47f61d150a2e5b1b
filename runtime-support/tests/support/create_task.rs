//! `CreateTaskInput` of the tasks example, as the Rust emitter writes it (types and decode modules, copied from `generated-example/crates/tasks-api/src/`), and a wider `Kitchen` input in the same shape with one field of each kind the typed fast path reads: shared by the fast-path tests and the decode benchmark.

#![allow(dead_code)]

use bunbase_runtime::serde_json::{Map, Value};
use bunbase_runtime::wire::{self, Decode, Decoder, Rule};
use bunbase_runtime::{chrono, serde, uuid};

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
        let title = wire::field(d, &mut obj, "title", wire::string);
        wire::check_at(d, "title", &title, &[Rule::MinLen(1), Rule::MaxLen(200)]);
        let description = wire::optional_field(d, &mut obj, "description", wire::string);
        wire::check_at(d, "description", &description, &[Rule::MaxLen(5000)]);
        let status = wire::default_field(
            d,
            &mut obj,
            "status",
            || Value::from("open"),
            TaskStatus::decode,
        );
        let tags = wire::default_field(
            d,
            &mut obj,
            "tags",
            || Value::Array(vec![]),
            |d, v| wire::list(d, v, wire::string),
        );
        wire::check_at(d, "tags", &tags, &[Rule::MaxItems(20), Rule::Unique]);
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
        #[derive(serde::Deserialize)]
        #[serde(crate = "serde", remote = "CreateTaskInput", deny_unknown_fields)]
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
        let v = wire::fast::body(bytes, |de| CreateTaskInputBody::deserialize(de))?;
        let d = &mut wire::fast::Checks::default();
        wire::check(d, &v.title, &[Rule::MinLen(1), Rule::MaxLen(200)]);
        wire::check(d, &v.description, &[Rule::MaxLen(5000)]);
        wire::check(d, &v.tags, &[Rule::MaxItems(20), Rule::Unique]);
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
        let limit = wire::default_field(d, &mut obj, "limit", || Value::from(20i64), wire::int);
        wire::check_at(d, "limit", &limit, &[Rule::MinInt(1), Rule::MaxInt(100)]);
        let big = wire::optional_field(d, &mut obj, "big", wire::int64);
        wire::check_at(d, "big", &big, &[Rule::MinInt(-5)]);
        let small = wire::field(d, &mut obj, "small", wire::int32);
        let ratio = wire::field(d, &mut obj, "ratio", wire::float);
        wire::check_at(d, "ratio", &ratio, &[Rule::MaxFloat(1.5)]);
        let on = wire::default_field(d, &mut obj, "on", || Value::Bool(true), wire::boolean);
        let email = wire::field(d, &mut obj, "email", wire::email);
        wire::check_at(d, "email", &email, &[Rule::MaxLen(30)]);
        let site = wire::optional_field(d, &mut obj, "site", wire::url);
        let day = wire::optional_field(d, &mut obj, "day", wire::date);
        let states = wire::field(d, &mut obj, "states", |d, v| {
            wire::list(d, v, TaskStatus::decode)
        });
        wire::check_at(d, "states", &states, &[Rule::MinItems(1)]);
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
        #[derive(serde::Deserialize)]
        #[serde(crate = "serde", remote = "Kitchen", deny_unknown_fields)]
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
        let v = wire::fast::body(bytes, |de| KitchenBody::deserialize(de))?;
        let d = &mut wire::fast::Checks::default();
        wire::check(
            d,
            &v.limit,
            &[Rule::MinInt(1), Rule::MaxInt(100), Rule::IntRange],
        );
        wire::check(d, &v.big, &[Rule::MinInt(-5)]);
        wire::check(d, &v.ratio, &[Rule::MaxFloat(1.5)]);
        wire::check(d, &v.email, &[Rule::MaxLen(30), Rule::Email]);
        wire::check(d, &v.site, &[Rule::Url]);
        wire::check(d, &v.states, &[Rule::MinItems(1)]);
        d.passed().then_some(v)
    }
}

/// The decoding path alone: the strict reader, then [`Decode`], as
/// `wire::http_input` runs it for a body that is the whole input.
pub fn slow<T: Decode>(bytes: &[u8]) -> Result<T, String> {
    let value = bunbase_runtime::strict_json::parse(bytes).map_err(|e| format!("{e:?}"))?;
    wire::decode_document(value).map_err(|v| format!("{v:?}"))
}
