#include "suite/io/pickle_bounds.h"

#include <array>
#include <cstdint>
#include <cstring>

namespace nrs {
namespace {

// How an opcode's argument is laid out (pickletools' ArgumentDescriptor).
enum class Arg { kUnknown, kNone, kFixed, kLength, kLine, kTwoLines };

struct Op {
  Arg arg = Arg::kUnknown;
  int size = 0;  // kFixed: bytes; kLength: bytes of the little-endian length before the data
};

// Every opcode of protocols 0-5; any other byte is kUnknown.
const std::array<Op, 256>& opcodes() {
  static const auto table = [] {
    std::array<Op, 256> t{};
    auto set = [&t](const char* codes, Arg arg, int size) {
      for (const char* c = codes; *c; ++c) t[static_cast<unsigned char>(*c)] = {arg, size};
    };
    set("(.012N\x88\x89)t\x85\x86\x87]ael}dsuRb\x81\x92o\x93Q\x94\x8f\x90\x91\x97\x98", Arg::kNone, 0);
    set("Khq\x80\x82", Arg::kFixed, 1);
    set("M\x83", Arg::kFixed, 2);
    set("Jjr\x84", Arg::kFixed, 4);
    set("G\x95", Arg::kFixed, 8);
    set("CU\x8a\x8c", Arg::kLength, 1);    // SHORT_BINBYTES, SHORT_BINSTRING, LONG1, SHORT_BINUNICODE
    set("\x8bXBT", Arg::kLength, 4);       // LONG4, BINUNICODE, BINBYTES, BINSTRING
    set("\x8d\x8e\x96", Arg::kLength, 8);  // BINUNICODE8, BINBYTES8, BYTEARRAY8
    set("ILFSVPgp", Arg::kLine, 0);
    set("ci", Arg::kTwoLines, 0);  // GLOBAL, INST: module and name
    return t;
  }();
  return table;
}

}  // namespace

std::optional<std::string> pickle_length_overrun(const char* data, size_t size) {
  size_t i = 0;
  while (i < size) {
    const auto code = static_cast<unsigned char>(data[i]);
    const Op op = opcodes()[code];
    if (code == '.' || op.arg == Arg::kUnknown) return std::nullopt;
    const size_t at = i++;
    const size_t left = size - i;
    switch (op.arg) {
      case Arg::kUnknown:  // returned above
      case Arg::kNone:
        break;
      case Arg::kFixed:
        if (left < static_cast<size_t>(op.size)) return std::nullopt;
        i += op.size;
        break;
      case Arg::kLength: {
        if (left < static_cast<size_t>(op.size)) return std::nullopt;
        uint64_t n = 0;
        for (int b = op.size - 1; b >= 0; --b) n = (n << 8) | static_cast<unsigned char>(data[i + b]);
        i += op.size;
        if (n > size - i)
          return "opcode at byte " + std::to_string(at) + " declares " + std::to_string(n) + " bytes, only " +
                 std::to_string(size - i) + " follow";
        i += n;
        break;
      }
      case Arg::kLine:
      case Arg::kTwoLines:
        for (int line = 0; line < (op.arg == Arg::kLine ? 1 : 2); ++line) {
          const void* nl = std::memchr(data + i, '\n', size - i);
          if (!nl) return std::nullopt;
          i = static_cast<size_t>(static_cast<const char*>(nl) - data) + 1;
        }
        break;
    }
  }
  return std::nullopt;
}

}  // namespace nrs
