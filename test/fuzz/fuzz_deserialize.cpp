// libFuzzer harness for Recommender::deserialize, the parser of the weights bytea: any input
// must give a model or an autorec::Error, never a crash, a sanitizer report or another
// exception; a model it accepts must serve every call without one either.
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <vector>

#include "core/error.hpp"
#include "core/recommender.hpp"
#include "core/serialize.hpp"

using namespace autorec;

namespace {

// Most mutations break the CRC-32 and stop at the header; a copy with the header's payload
// length and checksum rewritten to match lets the fuzzer reach the payload parsers. Layout
// (src/core/serialize.cpp): magic[8], u32 version, u64 len + algorithm, i32 users, i32 items,
// u64 ratings, u64 payload length, u32 crc, payload.
bool fix_frame(std::vector<uint8_t>& b) {
  size_t p = 8 + 4;
  if (b.size() < p + 8) return false;
  uint64_t alg_len;
  std::memcpy(&alg_len, b.data() + p, 8);
  if (alg_len > 64) return false;
  p += 8 + alg_len + 4 + 4 + 8;
  if (b.size() < p + 8 + 4) return false;
  uint64_t payload_len = b.size() - (p + 12);
  std::memcpy(b.data() + p, &payload_len, 8);
  uint32_t crc = crc32(b.data() + p + 12, payload_len);
  std::memcpy(b.data() + p + 8, &crc, 4);
  return true;
}

void serve(const Recommender& rec) {
  std::vector<int64_t> users = {0, -1, 1, INT64_MIN, INT64_MAX};
  if (rec.users().size() > 0) {
    users.push_back(rec.users().id(0));
    users.push_back(rec.users().id(rec.users().size() - 1));
  }
  std::vector<int64_t> items = {0, 1, -7};
  if (rec.items().size() > 0) {
    items.push_back(rec.items().id(0));
    items.push_back(rec.items().id(rec.items().size() - 1));
  }
  for (int64_t u : users) {
    try { rec.recommend(u, 5, true, nullptr); } catch (const Error&) {}
    try { rec.recommend(u, 3, false, &items); } catch (const Error&) {}
    for (int64_t i : items) {
      try { rec.predict(u, i); } catch (const Error&) {}
      if (rec.model().can_explain()) {
        try { rec.explain(u, i); } catch (const Error&) {}
      }
    }
  }
  std::vector<double> ratings(items.size(), 4.0);
  try { rec.recommend_for_ratings(items, ratings, 5); } catch (const Error&) {}
  if (rec.model().has_item_similarity())
    for (int64_t i : items) {
      try { rec.similar_items(i, 5); } catch (const Error&) {}
    }
  // What the catalog shows for a loaded model.
  (void)rec.serialize();
}

void exercise(const uint8_t* data, size_t size) {
  std::unique_ptr<Recommender> rec;
  try {
    rec = Recommender::deserialize(data, size);
  } catch (const Error&) {
    return;  // rejected: the expected outcome for nearly every input
  }
  serve(*rec);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  exercise(data, size);
  std::vector<uint8_t> fixed(data, data + size);
  if (fix_frame(fixed)) exercise(fixed.data(), fixed.size());
  return 0;
}
