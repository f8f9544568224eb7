// The C/C++ boundary: PostgreSQL errors (longjmp) never cross a C++ frame and C++ exceptions
// never escape into PostgreSQL.
//
//   Datum fn(PG_FUNCTION_ARGS) { return autorec::pg::guard([&] { ...C++... }); }
//
// guard() runs C++ code and turns any exception into an ereport(ERROR) raised after the catch
// block, when no C++ object is alive. Inside it, every call into PostgreSQL that can raise an
// error goes through pg_call(), which catches the longjmp with PG_TRY, copies the error and
// throws it as a C++ exception; guard() then re-raises the original error (same SQLSTATE,
// message, hint). A pg_call() body holds only plain C locals.
#pragma once

#include <exception>
#include <type_traits>
#include <utility>

#include "pg/postgres.hpp"

namespace autorec::pg {

// A PostgreSQL error caught by pg_call(), carried through C++ frames.
class PgError : public std::exception {
 public:
  explicit PgError(ErrorData* edata) : edata_(edata) {}
  ErrorData* edata() const { return edata_; }
  const char* what() const noexcept override { return edata_->message ? edata_->message : "error"; }

 private:
  ErrorData* edata_;
};

namespace detail {
// Stores the current C++ exception for report(); no PostgreSQL call happens here.
void capture_exception(std::exception_ptr e);
// Raises the captured exception as a PostgreSQL error; never returns.
[[noreturn]] void report();
}  // namespace detail

template <typename F>
Datum guard(F&& body) {
  try {
    return body();
  } catch (...) {
    detail::capture_exception(std::current_exception());
  }
  detail::report();
}

template <typename F>
void pg_call_void(F&& body) {
  MemoryContext cxt = CurrentMemoryContext;
  ErrorData* volatile edata = nullptr;
  std::exception_ptr cpp_error;  // an exception thrown by C++ code inside body
  PG_TRY();
  {
    try {
      body();
    } catch (...) {
      cpp_error = std::current_exception();
    }
  }
  PG_CATCH();
  {
    MemoryContextSwitchTo(cxt);
    edata = CopyErrorData();
    FlushErrorState();
  }
  PG_END_TRY();
  if (cpp_error) std::rethrow_exception(cpp_error);
  if (edata) throw PgError(edata);
}

// Calls into PostgreSQL from C++; returns what body returns.
template <typename F>
auto pg_call(F&& body) -> decltype(body()) {
  using R = decltype(body());
  if constexpr (std::is_void_v<R>) {
    pg_call_void(std::forward<F>(body));
  } else {
    R result{};
    pg_call_void([&] { result = body(); });
    return result;
  }
}

}  // namespace autorec::pg
