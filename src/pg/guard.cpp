// Turning C++ exceptions into PostgreSQL errors, outside of any catch block.
#include "pg/guard.hpp"

#include <cstdio>
#include <cstring>
#include <new>

#include "core/error.hpp"

namespace autorec::pg::detail {
namespace {

// The captured error lives in static storage: copying it needs no allocation, and it is
// consumed by report() before anything else can run.
struct Captured {
  ErrorData* pg_error;
  bool cancelled;
  int sqlstate;
  char message[1024];
  char hint[1024];
  char detail[1024];
  // Where the error was thrown (an Error's throw site; else null: the guard's own location).
  const char* file;
  int line;
  const char* function;
};
Captured captured;

void copy(char* dst, const char* src) {
  std::strncpy(dst, src ? src : "", 1023);
  dst[1023] = '\0';
}

int sqlstate_for(ErrorKind kind) {
  switch (kind) {
    case ErrorKind::InvalidParameter: return ERRCODE_INVALID_PARAMETER_VALUE;
    case ErrorKind::NullValue: return ERRCODE_NULL_VALUE_NOT_ALLOWED;
    case ErrorKind::DataError: return ERRCODE_DATA_EXCEPTION;
    case ErrorKind::UndefinedObject: return ERRCODE_UNDEFINED_OBJECT;
    case ErrorKind::UndefinedColumn: return ERRCODE_UNDEFINED_COLUMN;
    case ErrorKind::DatatypeMismatch: return ERRCODE_DATATYPE_MISMATCH;
    case ErrorKind::CorruptModel: return ERRCODE_DATA_CORRUPTED;
    case ErrorKind::NotSupported: return ERRCODE_FEATURE_NOT_SUPPORTED;
    case ErrorKind::ResourceLimit: return ERRCODE_PROGRAM_LIMIT_EXCEEDED;
    case ErrorKind::Internal: return ERRCODE_INTERNAL_ERROR;
  }
  return ERRCODE_INTERNAL_ERROR;
}

}  // namespace

void capture_exception(std::exception_ptr e) {
  captured.pg_error = nullptr;
  captured.cancelled = false;
  captured.sqlstate = ERRCODE_INTERNAL_ERROR;
  captured.hint[0] = '\0';
  captured.detail[0] = '\0';
  captured.file = nullptr;
  captured.line = 0;
  captured.function = nullptr;
  try {
    std::rethrow_exception(e);
  } catch (const PgError& x) {
    captured.pg_error = x.edata();
  } catch (const Cancelled&) {
    captured.cancelled = true;
  } catch (const Error& x) {
    captured.sqlstate = sqlstate_for(x.kind());
    copy(captured.message, x.what());
    copy(captured.hint, x.hint().c_str());
    copy(captured.detail, x.detail().c_str());
    captured.file = x.file();
    captured.line = x.line();
    captured.function = x.function();
  } catch (const std::bad_alloc&) {
    captured.sqlstate = ERRCODE_OUT_OF_MEMORY;
    copy(captured.message, "out of memory in autorec");
    copy(captured.hint, "Lower the model size (factors, hidden units, neighbours) or the data.");
  } catch (const std::exception& x) {
    copy(captured.message, x.what());
  } catch (...) {
    copy(captured.message, "unknown C++ exception in autorec");
  }
}

void report() {
  if (captured.pg_error) ReThrowError(captured.pg_error);
  if (captured.cancelled) {
    // The core stopped because an interrupt is pending: let PostgreSQL raise the real one
    // (query cancel, statement timeout, termination).
    CHECK_FOR_INTERRUPTS();
    ereport(ERROR, (errcode(ERRCODE_QUERY_CANCELED), errmsg("autorec training was interrupted")));
  }
  // ereport() with the throw site as the location (errfinish keeps the file's base name), so
  // that VERBOSITY verbose and the server log point at the code that raised the error.
  if (errstart(ERROR, TEXTDOMAIN)) {
    errcode(captured.sqlstate);
    errmsg("%s", captured.message);
    if (captured.detail[0]) errdetail("%s", captured.detail);
    if (captured.hint[0]) errhint("%s", captured.hint);
    if (captured.file)
      errfinish(captured.file, captured.line, captured.function);
    else
      errfinish(__FILE__, __LINE__, PG_FUNCNAME_MACRO);
  }
  pg_unreachable();
}

}  // namespace autorec::pg::detail
