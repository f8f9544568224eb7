// autorec_algorithms() and autorec_options(algorithm): the model families of the registry
// (src/core/models/families.cpp) and the options each reads (src/core/options/reference.hpp), so that
// SQL can list what autorec_train accepts without the docs.
#include "core/error.hpp"
#include "core/options/reference.hpp"
#include "core/registry.hpp"
#include "pg/guard.hpp"

using namespace autorec;
using namespace autorec::pg;

extern "C" {
PG_FUNCTION_INFO_V1(autorec_algorithms);
PG_FUNCTION_INFO_V1(autorec_options);
}

// autorec_algorithms() RETURNS TABLE (algorithm text, scores text, description text)
extern "C" PGDLLEXPORT Datum autorec_algorithms(PG_FUNCTION_ARGS) {
  return guard([&]() -> Datum {
    const std::vector<Family>& list = families();  // static data: nothing owned in pg_call
    pg_call([&] {
      InitMaterializedSRF(fcinfo, 0);
      ReturnSetInfo* rsinfo = reinterpret_cast<ReturnSetInfo*>(fcinfo->resultinfo);
      Datum values[3];
      bool nulls[3] = {false, false, false};
      for (const Family& f : list) {
        values[0] = CStringGetTextDatum(f.name);
        values[1] = CStringGetTextDatum(f.scores == ScoreKind::Rating ? "rating" : "ranking");
        values[2] = CStringGetTextDatum(f.description);
        tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
      }
    });
    return Datum(0);
  });
}

namespace {

// One row of autorec_options(), as C strings (nullptr: SQL NULL) for the pg_call below.
struct OptionRow {
  std::string name, type, default_json, allowed, scope, applies, description;
  bool has_default = false;
};

}  // namespace

// autorec_options(algorithm text) RETURNS TABLE (name text, type text, default_value jsonb,
//   allowed text, scope text, applies text, description text)
extern "C" PGDLLEXPORT Datum autorec_options(PG_FUNCTION_ARGS) {
  return guard([&]() -> Datum {
    if (PG_ARGISNULL(0))
      throw Error(ErrorKind::InvalidParameter, "algorithm must not be NULL",
                  "SELECT algorithm FROM autorec_algorithms() lists them.");
    const std::string algorithm =
        pg_call([&]() -> std::string { return text_to_cstring(PG_GETARG_TEXT_PP(0)); });
    std::vector<OptionRow> rows;
    for (const OptionDescription& d : describe_options(algorithm)) {
      OptionRow r;
      r.name = d.spec.name;
      r.type = option_type_name(d.spec.type);
      r.has_default = d.spec.default_value.type != JsonValue::Type::Null;
      r.default_json = d.spec.default_value.dump();
      r.allowed = option_allowed(d.spec);
      r.scope = option_scope_name(d.spec.scope);
      r.applies = d.applies;
      r.description = d.description;
      rows.push_back(std::move(r));
    }
    const OptionRow* data = rows.data();
    const size_t n = rows.size();
    pg_call([&] {
      InitMaterializedSRF(fcinfo, 0);
      ReturnSetInfo* rsinfo = reinterpret_cast<ReturnSetInfo*>(fcinfo->resultinfo);
      for (size_t i = 0; i < n; ++i) {
        const OptionRow& r = data[i];
        Datum values[7];
        bool nulls[7] = {false, false, !r.has_default, r.allowed.empty(), false,
                         r.applies.empty(), false};
        values[0] = CStringGetTextDatum(r.name.c_str());
        values[1] = CStringGetTextDatum(r.type.c_str());
        values[2] = r.has_default
                        ? DirectFunctionCall1(jsonb_in, CStringGetDatum(r.default_json.c_str()))
                        : Datum(0);
        values[3] = r.allowed.empty() ? Datum(0) : CStringGetTextDatum(r.allowed.c_str());
        values[4] = CStringGetTextDatum(r.scope.c_str());
        values[5] = r.applies.empty() ? Datum(0) : CStringGetTextDatum(r.applies.c_str());
        values[6] = CStringGetTextDatum(r.description.c_str());
        tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
      }
    });
    return Datum(0);
  });
}
