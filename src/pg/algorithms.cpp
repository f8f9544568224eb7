// autorec_algorithms(): the model families of the registry (src/core/registry.cpp), so that
// SQL can list what autorec_train accepts without the docs.
#include "core/registry.hpp"
#include "pg/guard.hpp"

using namespace autorec;
using namespace autorec::pg;

extern "C" {
PG_FUNCTION_INFO_V1(autorec_algorithms);
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
