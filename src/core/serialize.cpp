// Framing of serialized models: header, checksum, validation.
#include "core/serialize.hpp"

#include <array>

namespace autorec {
namespace {
const char kMagic[8] = {'A', 'R', 'E', 'C', 'M', 'D', 'L', '\n'};
}

uint32_t crc32(const uint8_t* data, size_t n) {
  static const std::array<uint32_t, 256> table = [] {
    std::array<uint32_t, 256> t{};
    for (uint32_t i = 0; i < 256; ++i) {
      uint32_t c = i;
      for (int k = 0; k < 8; ++k) c = (c & 1) ? 0xEDB88320u ^ (c >> 1) : c >> 1;
      t[i] = c;
    }
    return t;
  }();
  uint32_t c = 0xFFFFFFFFu;
  for (size_t i = 0; i < n; ++i) c = table[(c ^ data[i]) & 0xFF] ^ (c >> 8);
  return c ^ 0xFFFFFFFFu;
}

std::vector<uint8_t> frame_model(const ModelHeader& h, const std::vector<uint8_t>& payload) {
  Writer w;
  for (char c : kMagic) w.put<char>(c);
  w.put<uint32_t>(h.format_version);
  w.put_string(h.algorithm);
  w.put<int32_t>(h.n_users);
  w.put<int32_t>(h.n_items);
  w.put<uint64_t>(h.n_ratings);
  w.put<uint64_t>(payload.size());
  w.put<uint32_t>(crc32(payload.data(), payload.size()));
  std::vector<uint8_t>& out = w.bytes();
  out.insert(out.end(), payload.begin(), payload.end());
  return std::move(out);
}

ModelHeader unframe_model(const uint8_t* data, size_t n, const uint8_t** payload,
                          size_t* payload_len) {
  Reader r(data, n);
  for (char c : kMagic)
    if (r.get<char>() != c) Reader::corrupt("not an autorec model (bad magic)");
  ModelHeader h;
  h.format_version = r.get<uint32_t>();
  if (h.format_version != kFormatVersion)
    throw Error(ErrorKind::CorruptModel,
                "model format version " + std::to_string(h.format_version) +
                    " is not supported (this build reads version " +
                    std::to_string(kFormatVersion) + ")",
                "Retrain the model with this version of autorec.");
  h.algorithm = r.get_string(64);
  h.n_users = r.get<int32_t>();
  h.n_items = r.get<int32_t>();
  h.n_ratings = r.get<uint64_t>();
  if (h.n_users < 0 || h.n_items < 0) Reader::corrupt("negative dimensions");
  uint64_t len = r.get<uint64_t>();
  uint32_t crc = r.get<uint32_t>();
  if (len != r.remaining()) Reader::corrupt("payload length does not match (truncated?)");
  const uint8_t* p = data + (n - r.remaining());
  if (crc32(p, len) != crc) Reader::corrupt("checksum mismatch");
  *payload = p;
  *payload_len = len;
  return h;
}

}  // namespace autorec
