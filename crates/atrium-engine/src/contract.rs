//! The output contract, checked on every result before anything is written: the declared columns
//! in their order, of their declared types, not null where required. Schema drift fails the run
//! with a message naming the column; only lossless representation changes are accepted.

use std::sync::Arc;

use atrium_descriptor::{Column, DataType, Output};
use deltalake::arrow::array::{ArrayRef, RecordBatch};
use deltalake::arrow::compute::cast;
use deltalake::arrow::datatypes::{DataType as ArrowType, Field, Schema, SchemaRef, TimeUnit};

use crate::{EngineError, Result};

/// The Arrow type of a contract type: one to one.
pub fn arrow_type(data_type: &DataType) -> ArrowType {
    match data_type {
        DataType::Bool => ArrowType::Boolean,
        DataType::Int32 => ArrowType::Int32,
        DataType::Int64 => ArrowType::Int64,
        DataType::Float64 => ArrowType::Float64,
        DataType::Decimal { precision, scale } => {
            ArrowType::Decimal128(*precision, i8::try_from(*scale).unwrap_or(i8::MAX))
        }
        DataType::String => ArrowType::Utf8,
        DataType::Date => ArrowType::Date32,
        DataType::Timestamp => ArrowType::Timestamp(TimeUnit::Microsecond, Some("UTC".into())),
        DataType::Binary => ArrowType::Binary,
        DataType::List(inner) => ArrowType::List(Arc::new(Field::new("item", arrow_type(inner), true))),
    }
}

/// The schema a conforming result has.
pub fn contract_schema(output: &Output) -> SchemaRef {
    let fields: Vec<Field> = output
        .columns
        .iter()
        .map(|column| Field::new(column.name.as_str(), arrow_type(&column.data_type), !column.required))
        .collect();
    Arc::new(Schema::new(fields))
}

/// Checks `batches` against the contract of `output` and returns them in the contract's shape.
pub fn conform(batches: &[RecordBatch], result_schema: &SchemaRef, output: &Output) -> Result<Vec<RecordBatch>> {
    for field in result_schema.fields() {
        if !output.columns.iter().any(|column| column.name.as_str() == field.name()) {
            return Err(EngineError::Contract {
                column: field.name().clone(),
                message: format!(
                    "the transform produces it but the contract of output `{}` does not declare it",
                    output.name
                ),
            });
        }
    }
    let target = contract_schema(output);
    let mut positions = Vec::with_capacity(output.columns.len());
    for column in &output.columns {
        let (position, field) =
            result_schema
                .column_with_name(column.name.as_str())
                .ok_or_else(|| EngineError::Contract {
                    column: column.name.to_string(),
                    message: format!(
                        "declared in the contract of output `{}` but the transform does not produce it",
                        output.name
                    ),
                })?;
        check_type(column, field.data_type())?;
        positions.push(position);
    }
    batches
        .iter()
        .map(|batch| conform_batch(batch, &positions, &output.columns, &target))
        .collect()
}

fn conform_batch(
    batch: &RecordBatch,
    positions: &[usize],
    columns: &[Column],
    target: &SchemaRef,
) -> Result<RecordBatch> {
    let mut arrays: Vec<ArrayRef> = Vec::with_capacity(columns.len());
    for ((column, position), field) in columns.iter().zip(positions).zip(target.fields()) {
        let array = batch.column(*position);
        let array = if array.data_type() == field.data_type() {
            Arc::clone(array)
        } else {
            cast(array, field.data_type()).map_err(|error| EngineError::Contract {
                column: column.name.to_string(),
                message: format!("cannot convert to {}: {error}", column.data_type),
            })?
        };
        if column.required && array.null_count() > 0 {
            return Err(EngineError::Contract {
                column: column.name.to_string(),
                message: format!("required, but {} rows are null", array.null_count()),
            });
        }
        arrays.push(array);
    }
    RecordBatch::try_new(Arc::clone(target), arrays).map_err(EngineError::arrow)
}

/// Accepts the declared type, or a representation of it that converts without loss.
fn check_type(column: &Column, actual: &ArrowType) -> Result<()> {
    let expected = arrow_type(&column.data_type);
    if lossless(actual, &expected) {
        return Ok(());
    }
    Err(EngineError::Contract {
        column: column.name.to_string(),
        message: format!(
            "the transform produces {} but the contract says {}; cast it in the SQL",
            type_name(actual),
            column.data_type
        ),
    })
}

fn lossless(actual: &ArrowType, expected: &ArrowType) -> bool {
    use ArrowType::*;
    match (actual, expected) {
        (a, e) if a == e => true,
        (Null, _) => true,
        (Utf8View | LargeUtf8, Utf8) => true,
        (BinaryView | LargeBinary, Binary) => true,
        (Int8 | Int16 | UInt8 | UInt16, Int32) => true,
        (Int8 | Int16 | Int32 | UInt8 | UInt16 | UInt32, Int64) => true,
        (Float32 | Int8 | Int16 | Int32 | UInt8 | UInt16 | UInt32, Float64) => true,
        (Decimal128(p1, s1), Decimal128(p2, s2)) => s1 == s2 && p1 <= p2,
        (Int8 | Int16 | Int32 | Int64, Decimal128(p, s)) => i16::from(*p) - i16::from(*s) >= 19,
        (Timestamp(_, _), Timestamp(_, _)) => true,
        (List(a), List(e)) | (LargeList(a), List(e)) => lossless(a.data_type(), e.data_type()),
        _ => false,
    }
}

/// An Arrow type in the contract's words where there is one (`string`, `decimal(12,2)`).
pub fn type_name(arrow: &ArrowType) -> String {
    match arrow {
        ArrowType::Utf8 | ArrowType::Utf8View | ArrowType::LargeUtf8 => "string".into(),
        ArrowType::Int32 => "int32".into(),
        ArrowType::Int64 => "int64".into(),
        ArrowType::Float64 => "float64".into(),
        ArrowType::Boolean => "bool".into(),
        ArrowType::Date32 => "date".into(),
        ArrowType::Decimal128(p, s) => format!("decimal({p},{s})"),
        ArrowType::Timestamp(..) => "timestamp".into(),
        other => other.to_string().to_lowercase(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use atrium_descriptor::parse_descriptor;
    use deltalake::arrow::array::{Float64Array, Int32Array, StringArray};

    fn output(columns: &str) -> Output {
        let yaml = format!(
            "apiVersion: atrium/v1\nkind: DataProduct\nmetadata: {{id: a.b, title: t, owner: o, description: d}}\noutputs:\n  - name: b\n    description: d\n    columns:\n{columns}"
        );
        parse_descriptor(&yaml, None).expect("valid").outputs.remove(0)
    }

    fn batch(fields: Vec<(&str, ArrayRef)>) -> (Vec<RecordBatch>, SchemaRef) {
        let schema = Arc::new(Schema::new(
            fields
                .iter()
                .map(|(name, array)| Field::new(*name, array.data_type().clone(), true))
                .collect::<Vec<_>>(),
        ));
        let batch =
            RecordBatch::try_new(Arc::clone(&schema), fields.into_iter().map(|(_, a)| a).collect()).expect("batch");
        (vec![batch], schema)
    }

    #[test]
    fn widening_is_accepted_and_reordered() {
        let contract = output(
            "      - { name: id, type: int64, required: true }\n      - { name: label, type: string, classification: public }\n",
        );
        let (batches, schema) = batch(vec![
            ("label", Arc::new(StringArray::from(vec!["x"]))),
            ("id", Arc::new(Int32Array::from(vec![7]))),
        ]);
        let out = conform(&batches, &schema, &contract).expect("conforms");
        assert_eq!(out[0].schema(), contract_schema(&contract));
    }

    #[test]
    fn drift_names_the_column() {
        let contract = output("      - { name: amount, type: \"decimal(12,2)\" }\n");
        let (batches, schema) = batch(vec![("amount", Arc::new(Float64Array::from(vec![1.5])))]);
        let error = conform(&batches, &schema, &contract).expect_err("drift");
        assert_eq!(
            error.to_string(),
            "column `amount`: the transform produces float64 but the contract says decimal(12,2); cast it in the SQL"
        );
        let (batches, schema) = batch(vec![
            ("amount", Arc::new(Int32Array::from(vec![1]))),
            ("extra", Arc::new(Int32Array::from(vec![1]))),
        ]);
        let error = conform(&batches, &schema, &contract).expect_err("extra column");
        assert!(
            error
                .to_string()
                .starts_with("column `extra`: the transform produces it but"),
            "{error}"
        );
    }

    #[test]
    fn required_columns_have_no_nulls() {
        let contract = output("      - { name: id, type: int64, required: true }\n");
        let (batches, schema) = batch(vec![("id", Arc::new(Int32Array::from(vec![Some(1), None])))]);
        let error = conform(&batches, &schema, &contract).expect_err("null");
        assert_eq!(error.to_string(), "column `id`: required, but 1 rows are null");
    }
}
