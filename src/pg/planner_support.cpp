// The planner support function of the serving SRFs: their row estimate is the requested count.
//
// recommend(), recommend_for_ratings() and similar_items() return at most `n` rows (fewer only
// when the catalog is smaller). With a constant `n` the planner is told exactly that, instead of
// the declared ROWS 10, so that a join over `LATERAL recommend(u, 100)` is costed for 100 rows.
// Pure C on purpose: only syscache and node reads, no C++ object is alive here.
#include "pg/postgres.hpp"

namespace {

// Positions of the input arguments `n` and `candidates` of function `funcid` among its input
// arguments (-1 when it has none of that name), read from one catalog lookup.
struct ArgumentPositions {
  int n = -1;
  int candidates = -1;
};

ArgumentPositions argument_positions(Oid funcid) {
  ArgumentPositions positions;
  HeapTuple tuple = SearchSysCache1(PROCOID, ObjectIdGetDatum(funcid));
  if (!HeapTupleIsValid(tuple)) return positions;
  bool names_null = false, modes_null = false;
  Datum names = SysCacheGetAttr(PROCOID, tuple, Anum_pg_proc_proargnames, &names_null);
  Datum modes = SysCacheGetAttr(PROCOID, tuple, Anum_pg_proc_proargmodes, &modes_null);
  if (!names_null) {
    char** arg_names = nullptr;
    int n_inputs = get_func_input_arg_names(names, modes_null ? PointerGetDatum(nullptr) : modes,
                                            &arg_names);
    for (int i = 0; i < n_inputs; i++) {
      if (!arg_names[i]) continue;
      if (strcmp(arg_names[i], "n") == 0) positions.n = i;
      if (strcmp(arg_names[i], "candidates") == 0) positions.candidates = i;
    }
  }
  ReleaseSysCache(tuple);
  return positions;
}

}  // namespace

extern "C" {
PG_FUNCTION_INFO_V1(autorec_serving_support);
}

// SUPPORT function: answers SupportRequestRows with the constant `n` argument of the call
// (defaults are already inserted when the planner asks), or the length of a constant
// `candidates` array when shorter; NULL (the function's ROWS) otherwise.
extern "C" PGDLLEXPORT Datum autorec_serving_support(PG_FUNCTION_ARGS) {
  Node* request = reinterpret_cast<Node*>(PG_GETARG_POINTER(0));
  if (!IsA(request, SupportRequestRows)) PG_RETURN_POINTER(nullptr);
  SupportRequestRows* rows_request = reinterpret_cast<SupportRequestRows*>(request);
  if (!rows_request->node || !IsA(rows_request->node, FuncExpr)) PG_RETURN_POINTER(nullptr);
  FuncExpr* call = reinterpret_cast<FuncExpr*>(rows_request->node);
  const ArgumentPositions positions = argument_positions(rows_request->funcid);
  const int position = positions.n;
  if (position < 0 || position >= list_length(call->args)) PG_RETURN_POINTER(nullptr);
  Node* arg = reinterpret_cast<Node*>(list_nth(call->args, position));
  if (!IsA(arg, Const)) PG_RETURN_POINTER(nullptr);
  Const* count = reinterpret_cast<Const*>(arg);
  if (count->constisnull || count->consttype != INT4OID) PG_RETURN_POINTER(nullptr);
  int32 n = DatumGetInt32(count->constvalue);
  if (n < 0) PG_RETURN_POINTER(nullptr);  // an error at execution; keep the default
  // A constant list of candidate items bounds the list too.
  const int candidates = positions.candidates;
  if (candidates >= 0 && candidates < list_length(call->args)) {
    Node* list = reinterpret_cast<Node*>(list_nth(call->args, candidates));
    if (IsA(list, Const) && !reinterpret_cast<Const*>(list)->constisnull) {
      ArrayType* array = DatumGetArrayTypeP(reinterpret_cast<Const*>(list)->constvalue);
      n = Min(n, ArrayGetNItems(ARR_NDIM(array), ARR_DIMS(array)));
    }
  }
  rows_request->rows = static_cast<double>(n);
  PG_RETURN_POINTER(rows_request);
}
