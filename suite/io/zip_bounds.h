// A bound LibTorch's zip reader does not check: PyTorchStreamReader::getRecord
// allocates the uncompressed size an entry's central-directory header declares
// before reading it, so a 2 KB weights file declaring a 2.4 GB record costs
// 2.4 GB before it is refused (found by fuzzing). load_weights checks every
// entry with this first.
#pragma once
#include <cstddef>
#include <optional>
#include <string>

namespace nrs {

// DEFLATE expands at most 1032:1 (torch.save stores records uncompressed), so
// no entry of a zip of `size` bytes can hold more than this.
constexpr size_t kMaxZipExpansion = 1032;

// The first central-directory entry (zip64 sizes included) whose declared
// uncompressed size exceeds kMaxZipExpansion times the archive's size, as
// "NAME declares N bytes", or nullopt. Structures that cannot be found or are
// cut short give nullopt: the zip reader rejects those itself.
std::optional<std::string> zip_entry_overrun(const char* data, size_t size);

// What LibTorch's reader does not check either: that each record still holds
// what was written. Every central-directory entry's record is found through
// its local header and its CRC-32 compared with the one the writer stored
// (stored records directly, deflated ones after inflating). nullopt when every
// record is intact; else "NAME: CRC mismatch", "NAME: cut short", or why the
// archive's directory cannot be read (an empty or truncated file).
std::optional<std::string> zip_damage(const char* data, size_t size);

}  // namespace nrs
