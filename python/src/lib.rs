//! `whydenied._whydenied`: the Python binding of [`whydenied::frames`], wrapped by
//! `whydenied/__init__.py`.
//!
//! Batches cross the boundary through the Arrow C Data and C Stream interfaces as PyCapsules
//! (the Arrow PyCapsule protocol): any object with `__arrow_c_stream__` (a pyarrow `Table`,
//! `RecordBatchReader`, a polars or DuckDB result) or `__arrow_c_array__` (a `RecordBatch`)
//! comes in without a copy, and results go back as an [`ArrowBatch`], which pyarrow imports
//! with `pa.record_batch(obj)`. No pyarrow is linked: the arrow this crate shares with the
//! binary is the only one compiled.

use std::ffi::CString;

use arrow_array::ffi::{FFI_ArrowArray, FFI_ArrowSchema, from_ffi, to_ffi};
use arrow_array::ffi_stream::{FFI_ArrowArrayStream, RecordBatchStreamReader};
use arrow_array::{Array, RecordBatch, RecordBatchReader, StructArray};
use arrow_schema::SchemaRef;
use pyo3::exceptions::{PyTypeError, PyValueError};
use pyo3::prelude::*;
use pyo3::types::{PyCapsule, PyTuple};
use whydenied::frames;

/// A record batch handed to Python: implements `__arrow_c_array__` (and `__arrow_c_schema__`,
/// so that `pa.schema(obj)` takes its schema alone).
#[pyclass(module = "whydenied._whydenied", frozen)]
struct ArrowBatch {
    batch: RecordBatch,
}

#[pymethods]
impl ArrowBatch {
    #[pyo3(signature = (requested_schema = None))]
    fn __arrow_c_array__<'py>(
        &self,
        py: Python<'py>,
        requested_schema: Option<Bound<'py, PyAny>>,
    ) -> PyResult<Bound<'py, PyTuple>> {
        // A requested schema is a request, not an order: the producer may ignore it.
        let _ = requested_schema;
        let data = StructArray::from(self.batch.clone()).into_data();
        let (array, schema) = to_ffi(&data).map_err(value_error)?;
        let schema = PyCapsule::new(py, schema, Some(name("arrow_schema")))?;
        let array = PyCapsule::new(py, array, Some(name("arrow_array")))?;
        PyTuple::new(py, [schema.into_any(), array.into_any()])
    }

    fn __arrow_c_schema__<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyCapsule>> {
        schema_capsule(py, &self.batch.schema())
    }

    fn __len__(&self) -> usize {
        self.batch.num_rows()
    }
}

/// A schema handed to Python: `pa.schema(obj)` imports it.
#[pyclass(module = "whydenied._whydenied", frozen)]
struct ArrowSchema {
    schema: SchemaRef,
}

#[pymethods]
impl ArrowSchema {
    fn __arrow_c_schema__<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyCapsule>> {
        schema_capsule(py, &self.schema)
    }
}

fn schema_capsule<'py>(py: Python<'py>, schema: &SchemaRef) -> PyResult<Bound<'py, PyCapsule>> {
    let ffi = FFI_ArrowSchema::try_from(schema.as_ref()).map_err(value_error)?;
    PyCapsule::new(py, ffi, Some(name("arrow_schema")))
}

fn name(text: &str) -> CString {
    CString::new(text).expect("capsule names have no NUL")
}

fn value_error(error: impl std::fmt::Display) -> PyErr {
    PyValueError::new_err(error.to_string())
}

/// The record batches of `data`: an object with `__arrow_c_stream__` or `__arrow_c_array__`.
fn batches_of(data: &Bound<'_, PyAny>) -> PyResult<Vec<RecordBatch>> {
    if data.hasattr("__arrow_c_stream__")? {
        let capsule = data.call_method0("__arrow_c_stream__")?.cast_into::<PyCapsule>()?;
        let pointer = capsule.pointer_checked(Some(c"arrow_array_stream"))?;
        // SAFETY: the capsule named `arrow_array_stream` holds an FFI_ArrowArrayStream (the
        // protocol's contract); `from_raw` moves it out and leaves a released one behind, which
        // the capsule's destructor then ignores.
        let stream = unsafe { FFI_ArrowArrayStream::from_raw(pointer.as_ptr().cast()) };
        let reader = RecordBatchStreamReader::try_new(stream).map_err(value_error)?;
        let schema = reader.schema();
        let mut batches = reader.collect::<Result<Vec<_>, _>>().map_err(value_error)?;
        if batches.is_empty() {
            // An empty table still has columns to check.
            batches.push(RecordBatch::new_empty(schema));
        }
        return Ok(batches);
    }
    if data.hasattr("__arrow_c_array__")? {
        let pair = data.call_method0("__arrow_c_array__")?;
        let (schema, array): (Bound<'_, PyCapsule>, Bound<'_, PyCapsule>) = pair.extract()?;
        let schema = schema.pointer_checked(Some(c"arrow_schema"))?;
        let array = array.pointer_checked(Some(c"arrow_array"))?;
        // SAFETY: as above, for the protocol's schema and array capsules; the schema is only
        // borrowed (its capsule releases it), the array is moved out.
        let data = unsafe {
            let schema = &*schema.as_ptr().cast::<FFI_ArrowSchema>();
            let array = FFI_ArrowArray::from_raw(array.as_ptr().cast());
            from_ffi(array, schema)
        }
        .map_err(value_error)?;
        let array = StructArray::from(data);
        if array.null_count() > 0 {
            return Err(PyValueError::new_err("a record batch with null rows"));
        }
        return Ok(vec![RecordBatch::from(array)]);
    }
    Err(PyTypeError::new_err(
        "expected Arrow data: an object with __arrow_c_stream__ or __arrow_c_array__ (a pyarrow RecordBatch or Table)",
    ))
}

fn frame_error(error: frames::FrameError) -> PyErr {
    PyValueError::new_err(error.to_string())
}

/// Objects that could not be read whole, as `(path, message)` pairs.
type Problems = Vec<(String, String)>;

/// Denial rows of the raw objects in `data` (columns `path` and `content`), and the objects
/// that could not be read whole.
#[pyfunction]
fn scan_bytes(data: &Bound<'_, PyAny>) -> PyResult<(Vec<ArrowBatch>, Problems)> {
    let batches = batches_of(data)?;
    let (mut out, mut problems) = (Vec::new(), Vec::new());
    for batch in &batches {
        let batch = data.py().detach(|| frames::scan_objects(batch)).map_err(frame_error)?;
        problems.extend(batch.problems.into_iter().map(|p| (p.path, p.message)));
        out.push(ArrowBatch { batch: batch.rows });
    }
    Ok((out, problems))
}

/// Denial rows of the Athena/Glue CloudTrail table rows in `data`.
#[pyfunction]
fn classify(data: &Bound<'_, PyAny>) -> PyResult<Vec<ArrowBatch>> {
    let batches = batches_of(data)?;
    let py = data.py();
    batches
        .iter()
        .map(|batch| {
            let rows = py.detach(|| frames::classify_rows(batch)).map_err(frame_error)?;
            Ok(ArrowBatch { batch: rows })
        })
        .collect()
}

/// Summary rows of the denial rows in `data`.
#[pyfunction]
fn summarize(data: &Bound<'_, PyAny>) -> PyResult<ArrowBatch> {
    let batches = batches_of(data)?;
    let rows = data.py().detach(|| frames::summarize(&batches)).map_err(frame_error)?;
    Ok(ArrowBatch { batch: rows })
}

#[pymodule]
fn _whydenied(module: &Bound<'_, PyModule>) -> PyResult<()> {
    module.add_function(wrap_pyfunction!(scan_bytes, module)?)?;
    module.add_function(wrap_pyfunction!(classify, module)?)?;
    module.add_function(wrap_pyfunction!(summarize, module)?)?;
    let denials = frames::denials_schema();
    let summary = frames::summary_schema();
    module.add("DENIALS_DDL", frames::spark_ddl(&denials))?;
    module.add("SUMMARY_DDL", frames::spark_ddl(&summary))?;
    module.add("DENIALS_SCHEMA", ArrowSchema { schema: denials })?;
    module.add("SUMMARY_SCHEMA", ArrowSchema { schema: summary })?;
    module.add("__version__", env!("CARGO_PKG_VERSION"))?;
    Ok(())
}
