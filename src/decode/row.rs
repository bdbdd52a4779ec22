//! One row of an Arrow batch as JSON: the shape [`super::ocsf::mapping::Table`] reads, whatever physical
//! types the writer chose (`string`, `large_string` or `string_view`, dictionary-encoded or
//! not; any integer width; timestamps of any unit; lists; maps with text keys). A type the mapping never reads
//! (binary, decimals, unions) becomes `null`.

use arrow_array::cast::AsArray;
use arrow_array::types::{
    Int8Type, Int16Type, Int32Type, Int64Type, TimestampMicrosecondType, TimestampMillisecondType,
    TimestampNanosecondType, TimestampSecondType, UInt8Type, UInt16Type, UInt32Type, UInt64Type,
};
use arrow_array::{Array, RecordBatch};
use arrow_schema::{DataType, TimeUnit};
use serde_json::{Map, Value};

/// The columns of `batch` at `row`, by name; null columns are left out.
pub fn row_json(batch: &RecordBatch, row: usize) -> Map<String, Value> {
    let schema = batch.schema();
    let mut object = Map::new();
    for (field, column) in schema.fields().iter().zip(batch.columns()) {
        let value = value_at(column.as_ref(), row);
        if !value.is_null() {
            object.insert(field.name().clone(), value);
        }
    }
    object
}

/// The text at `row` of a string column of any of Arrow's three string types, or of a
/// dictionary of them.
pub fn text_at(array: &dyn Array, row: usize) -> Option<&str> {
    if array.is_null(row) {
        return None;
    }
    match array.data_type() {
        DataType::Utf8 => Some(array.as_string::<i32>().value(row)),
        DataType::LargeUtf8 => Some(array.as_string::<i64>().value(row)),
        DataType::Utf8View => Some(array.as_string_view().value(row)),
        DataType::Dictionary(_, _) => {
            let dictionary = array.as_any_dictionary();
            text_at(dictionary.values().as_ref(), dictionary_key(dictionary.keys(), row)?)
        }
        _ => None,
    }
}

/// The index into a dictionary's values at `row` (keys are integers of any width).
fn dictionary_key(keys: &dyn Array, row: usize) -> Option<usize> {
    value_at(keys, row).as_u64().and_then(|key| usize::try_from(key).ok())
}

fn value_at(array: &dyn Array, row: usize) -> Value {
    if array.is_null(row) {
        return Value::Null;
    }
    match array.data_type() {
        DataType::Utf8 | DataType::LargeUtf8 | DataType::Utf8View => {
            text_at(array, row).map_or(Value::Null, |s| Value::String(s.to_string()))
        }
        DataType::Boolean => Value::Bool(array.as_boolean().value(row)),
        DataType::Int8 => array.as_primitive::<Int8Type>().value(row).into(),
        DataType::Int16 => array.as_primitive::<Int16Type>().value(row).into(),
        DataType::Int32 => array.as_primitive::<Int32Type>().value(row).into(),
        DataType::Int64 => array.as_primitive::<Int64Type>().value(row).into(),
        DataType::UInt8 => array.as_primitive::<UInt8Type>().value(row).into(),
        DataType::UInt16 => array.as_primitive::<UInt16Type>().value(row).into(),
        DataType::UInt32 => array.as_primitive::<UInt32Type>().value(row).into(),
        DataType::UInt64 => array.as_primitive::<UInt64Type>().value(row).into(),
        DataType::Timestamp(unit, _) => {
            let millis = match unit {
                TimeUnit::Second => {
                    array.as_primitive::<TimestampSecondType>().value(row).checked_mul(1000)
                }
                TimeUnit::Millisecond => {
                    Some(array.as_primitive::<TimestampMillisecondType>().value(row))
                }
                TimeUnit::Microsecond => {
                    Some(array.as_primitive::<TimestampMicrosecondType>().value(row) / 1000)
                }
                TimeUnit::Nanosecond => {
                    Some(array.as_primitive::<TimestampNanosecondType>().value(row) / 1_000_000)
                }
            };
            millis.map_or(Value::Null, Value::from)
        }
        DataType::Struct(fields) => {
            let array = array.as_struct();
            let mut object = Map::new();
            for (field, column) in fields.iter().zip(array.columns()) {
                let value = value_at(column.as_ref(), row);
                if !value.is_null() {
                    object.insert(field.name().clone(), value);
                }
            }
            Value::Object(object)
        }
        DataType::Dictionary(_, _) => {
            let dictionary = array.as_any_dictionary();
            dictionary_key(dictionary.keys(), row)
                .map_or(Value::Null, |key| value_at(dictionary.values().as_ref(), key))
        }
        DataType::List(_) => list(array.as_list::<i32>().value(row).as_ref()),
        DataType::LargeList(_) => list(array.as_list::<i64>().value(row).as_ref()),
        DataType::Map(_, _) => {
            let entries = array.as_map().value(row);
            let (keys, values) = (entries.column(0), entries.column(1));
            let mut object = Map::new();
            for i in 0..entries.len() {
                if let Some(key) = text_at(keys.as_ref(), i) {
                    object.insert(key.to_string(), value_at(values.as_ref(), i));
                }
            }
            Value::Object(object)
        }
        _ => Value::Null,
    }
}

fn list(items: &dyn Array) -> Value {
    Value::Array((0..items.len()).map(|i| value_at(items, i)).collect())
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use arrow_array::builder::{MapBuilder, StringBuilder};
    use arrow_array::types::Int8Type;
    use arrow_array::{
        ArrayRef, BooleanArray, DictionaryArray, Int64Array, ListArray, StringArray, StructArray,
        TimestampMicrosecondArray,
    };
    use arrow_schema::Field;
    use serde_json::json;

    use super::*;

    #[test]
    fn nested_columns_of_every_shape_become_json() {
        let error: DictionaryArray<Int8Type> =
            vec![Some("AccessDenied"), None, Some("AccessDenied")].into_iter().collect();
        let operation: ArrayRef =
            Arc::new(StringArray::from(vec!["GetObject", "ListBuckets", "x"]));
        let api = StructArray::from(vec![
            (Arc::new(Field::new("operation", DataType::Utf8, true)), operation),
            (
                Arc::new(Field::new("error", error.data_type().clone(), true)),
                Arc::new(error) as ArrayRef,
            ),
        ]);
        let time = Int64Array::from(vec![1, 2, 3]);
        let created = TimestampMicrosecondArray::from(vec![Some(1_500_999), None, None]);
        let mfa = BooleanArray::from(vec![Some(false), None, Some(true)]);
        let uids = ListArray::from_iter_primitive::<arrow_array::types::Int32Type, _, _>(vec![
            Some(vec![Some(7), None]),
            Some(vec![]),
            None,
        ]);
        let mut unmapped = MapBuilder::new(None, StringBuilder::new(), StringBuilder::new());
        unmapped.keys().append_value("tlsDetails");
        unmapped.values().append_value("{}");
        unmapped.append(true).expect("entry");
        unmapped.append(false).expect("null");
        unmapped.append(true).expect("empty");
        let batch = RecordBatch::try_from_iter(vec![
            ("api", Arc::new(api) as ArrayRef),
            ("time", Arc::new(time) as ArrayRef),
            ("created", Arc::new(created) as ArrayRef),
            ("is_mfa", Arc::new(mfa) as ArrayRef),
            ("uids", Arc::new(uids) as ArrayRef),
            ("unmapped", Arc::new(unmapped.finish()) as ArrayRef),
        ])
        .expect("a batch");
        let rows: Vec<Value> = (0..3).map(|row| Value::Object(row_json(&batch, row))).collect();
        assert_eq!(
            rows,
            [
                json!({"api": {"operation": "GetObject", "error": "AccessDenied"}, "time": 1,
                       "created": 1500, "is_mfa": false, "uids": [7, null],
                       "unmapped": {"tlsDetails": "{}"}}),
                json!({"api": {"operation": "ListBuckets"}, "time": 2, "uids": []}),
                json!({"api": {"operation": "x", "error": "AccessDenied"}, "time": 3,
                       "is_mfa": true, "unmapped": {}}),
            ]
        );
        let api = batch.column(0).as_struct();
        assert_eq!(text_at(api.column(1).as_ref(), 2), Some("AccessDenied"));
        assert_eq!(text_at(api.column(1).as_ref(), 1), None);
    }
}
