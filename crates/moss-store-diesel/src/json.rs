//! Conversion between the domain's [`Value`] and stored JSON text.

use std::collections::BTreeMap;

use moss_domain::value::{Number, Value};
use serde_json::Value as Json;

pub(crate) fn to_json(v: &Value) -> Json {
    match v {
        Value::Null => Json::Null,
        Value::Bool(b) => Json::Bool(*b),
        Value::Number(Number::Int(i)) => Json::from(*i),
        Value::Number(Number::Float(f)) => serde_json::Number::from_f64(*f).map_or(Json::Null, Json::Number),
        Value::String(s) => Json::String(s.clone()),
        Value::List(items) => Json::Array(items.iter().map(to_json).collect()),
        Value::Map(m) => Json::Object(m.iter().map(|(k, v)| (k.clone(), to_json(v))).collect()),
    }
}

pub(crate) fn from_json(j: &Json) -> Value {
    match j {
        Json::Null => Value::Null,
        Json::Bool(b) => Value::Bool(*b),
        Json::Number(n) => match n.as_i64() {
            Some(i) => Value::Number(Number::Int(i)),
            None => Value::Number(Number::Float(n.as_f64().unwrap_or(0.0))),
        },
        Json::String(s) => Value::String(s.clone()),
        Json::Array(items) => Value::List(items.iter().map(from_json).collect()),
        Json::Object(m) => Value::Map(m.iter().map(|(k, v)| (k.clone(), from_json(v))).collect()),
    }
}

pub(crate) fn map_to_text(m: &BTreeMap<String, Value>) -> String {
    Json::Object(m.iter().map(|(k, v)| (k.clone(), to_json(v))).collect()).to_string()
}

pub(crate) fn map_from_text(text: &str) -> Option<BTreeMap<String, Value>> {
    match serde_json::from_str::<Json>(text).ok()? {
        Json::Object(m) => Some(m.iter().map(|(k, v)| (k.clone(), from_json(v))).collect()),
        _ => None,
    }
}
