// A bound LibTorch's unpickler does not check: a string or bytes opcode whose
// declared length exceeds what is left of the pickle. The unpickler (1.13)
// allocates and zero-fills the declared length before reading, so a 400-byte
// weights file declaring a 4 GiB string costs 4 GiB before it is refused
// (found by fuzzing). load_weights scans data.pkl with this first.
#pragma once
#include <cstddef>
#include <optional>
#include <string>

namespace nrs {

// Walks the opcodes of a pickle (protocols 0-5, as Python's pickletools
// describes them) and returns a description of the first length-prefixed
// argument longer than the bytes after it, or nullopt. It stops, without a
// verdict, at STOP, at an opcode it does not know, or at an argument cut short:
// the unpickler rejects those itself without a large allocation.
std::optional<std::string> pickle_length_overrun(const char* data, size_t size);

}  // namespace nrs
