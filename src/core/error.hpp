// Exceptions the core throws; the PostgreSQL glue turns them into ERRORs (see src/pg/guard.hpp).
#pragma once

#include <stdexcept>
#include <string>

namespace autorec {

// What kind of problem, so that the glue can pick a matching SQLSTATE. One condition has one
// kind everywhere (docs/errors.md lists them); the SQL routines raise the same SQLSTATEs.
enum class ErrorKind {
  InvalidParameter,  // a bad option or argument (22023 invalid_parameter_value)
  NullValue,         // a required argument is NULL (22004 null_value_not_allowed)
  DataError,         // bad input data: NaN ratings, empty source (22000 data_exception)
  UndefinedObject,   // a model that does not exist, no default model (42704 undefined_object)
  UndefinedColumn,   // a source without a column it must have (42703 undefined_column)
  DatatypeMismatch,  // a source column of the wrong type (42804 datatype_mismatch)
  CorruptModel,      // a weights bytea that fails validation (XX001 data_corrupted)
  NotSupported,      // the model family cannot do this (0A000 feature_not_supported)
  ResourceLimit,     // a model or training too large (54000 program_limit_exceeded)
  Internal,          // a bug (XX000 internal_error)
};

// An error with a primary message (lower case, no final period), an optional hint (what to do)
// and detail (more facts), both full sentences, and where it was thrown: the defaults capture
// the throw site (file, line and function of the expression that constructs the Error), which
// the guard reports as the error's location instead of its own.
class Error : public std::runtime_error {
 public:
  Error(ErrorKind kind, const std::string& message, std::string hint = {}, std::string detail = {},
        const char* file = __builtin_FILE(), int line = __builtin_LINE(),
        const char* function = __builtin_FUNCTION())
      : std::runtime_error(message),
        kind_(kind),
        hint_(std::move(hint)),
        detail_(std::move(detail)),
        file_(file),
        line_(line),
        function_(function) {}
  ErrorKind kind() const { return kind_; }
  const std::string& hint() const { return hint_; }
  const std::string& detail() const { return detail_; }
  // String literals (static storage): safe to keep after the exception is gone.
  const char* file() const { return file_; }
  int line() const { return line_; }
  const char* function() const { return function_; }

 private:
  ErrorKind kind_;
  std::string hint_;
  std::string detail_;
  const char* file_;
  int line_;
  const char* function_;
};

// Training stopped because the caller asked (query cancel, statement_timeout).
class Cancelled : public std::exception {
 public:
  const char* what() const noexcept override { return "training was cancelled"; }
};

}  // namespace autorec
