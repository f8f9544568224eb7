// Exceptions the core throws; the PostgreSQL glue turns them into ERRORs (see src/pg/guard.hpp).
#pragma once

#include <stdexcept>
#include <string>

namespace autorec {

// What kind of problem, so that the glue can pick a matching SQLSTATE.
enum class ErrorKind {
  InvalidParameter,  // a bad option or argument (22023)
  DataError,         // bad input data: NaN ratings, empty source (22000)
  CorruptModel,      // a weights bytea that fails validation (XX001 data_corrupted)
  NotSupported,      // the model family cannot do this (0A000)
  ResourceLimit,     // a model or training too large (54000)
  Internal,          // a bug (XX000)
};

class Error : public std::runtime_error {
 public:
  Error(ErrorKind kind, const std::string& message, std::string hint = {})
      : std::runtime_error(message), kind_(kind), hint_(std::move(hint)) {}
  ErrorKind kind() const { return kind_; }
  const std::string& hint() const { return hint_; }

 private:
  ErrorKind kind_;
  std::string hint_;
};

// Training stopped because the caller asked (query cancel, statement_timeout).
class Cancelled : public std::exception {
 public:
  const char* what() const noexcept override { return "training was cancelled"; }
};

}  // namespace autorec
