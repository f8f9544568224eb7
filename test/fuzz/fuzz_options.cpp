// libFuzzer harness for the options parser: JsonValue::parse / dump (which must round-trip),
// Options::parse with every typed getter on every option, and Recommender::configure of every
// algorithm (each family's option reading). Any input must give a value or an autorec::Error,
// never a crash, a sanitizer report or another exception.
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "core/error.hpp"
#include "core/options/options.hpp"
#include "core/recommender.hpp"
#include "core/registry.hpp"

using namespace autorec;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);

  try {
    JsonValue v = JsonValue::parse(text);
    std::string once = v.dump();
    std::string twice = JsonValue::parse(once).dump();
    if (once != twice) std::abort();  // dump() must produce JSON that parses to the same value
  } catch (const Error&) {
  }

  try {
    Options o = Options::parse(text);
    for (const auto& kv : o.values()) {  // getters only mark names as known
      const std::string& k = kv.first;
      try { o.number(k, 0, -1e300, 1e300); } catch (const Error&) {}
      try { o.number(k, 0.5, 0, 1); } catch (const Error&) {}
      try { o.integer(k, 0, INT64_MIN, INT64_MAX); } catch (const Error&) {}
      try { o.integer(k, 10, 1, 1000); } catch (const Error&) {}
      try { o.boolean(k, false); } catch (const Error&) {}
      try { o.choice(k, "a", {"a", "b", "item", "user"}); } catch (const Error&) {}
      try { o.integer_list(k, {1}, INT64_MIN, INT64_MAX); } catch (const Error&) {}
      try { o.integer_list(k, {500}, 1, 100000); } catch (const Error&) {}
      try { o.text(k, ""); } catch (const Error&) {}
      try { o.optional_number(k, 0, 1); } catch (const Error&) {}
      try { o.optional_text(k); } catch (const Error&) {}
    }
    (void)o.to_json();
    (void)o.effective_json();
    try { o.reject_unknown("fuzz"); } catch (const Error&) {}
  } catch (const Error&) {
  }

  for (const std::string& algo : algorithm_names()) {
    try {
      Recommender::configure(algo, Options::parse(text));
    } catch (const Error&) {
    }
  }
  return 0;
}
