// The zip bound load_weights applies before LibTorch's zip reader
// (suite/io/zip_bounds.h), on archives written by Python's zipfile: stored,
// deflated and zip64 entries of the shape torch.save writes.
#include "suite/io/zip_bounds.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <optional>
#include <string>

namespace {

// zipfile.ZipFile(w, 'w', METHOD) with archive/data/0 (24 zero bytes, written
// through z.open(..., force_zip64=Z64): a zip64 local header) and
// archive/version.
const std::string kStored = std::string(
    "\120\113\003\004\024\000\000\000\000\000\000\000\041\000\040\312\301\243\030\000\000\000\030\000"
    "\000\000\016\000\000\000\141\162\143\150\151\166\145\057\144\141\164\141\057\060\000\000\000\000"
    "\000\000\000\000\000\000\000\000\000\000\000\000\000\000\000\000\000\000\000\000\120\113\003\004"
    "\024\000\000\000\000\000\052\266\174\135\321\236\147\125\002\000\000\000\002\000\000\000\017\000"
    "\000\000\141\162\143\150\151\166\145\057\166\145\162\163\151\157\156\063\012\120\113\001\002\024"
    "\003\024\000\000\000\000\000\000\000\041\000\040\312\301\243\030\000\000\000\030\000\000\000\016"
    "\000\000\000\000\000\000\000\000\000\000\000\200\001\000\000\000\000\141\162\143\150\151\166\145"
    "\057\144\141\164\141\057\060\120\113\001\002\024\003\024\000\000\000\000\000\052\266\174\135\321"
    "\236\147\125\002\000\000\000\002\000\000\000\017\000\000\000\000\000\000\000\000\000\000\000\200"
    "\001\104\000\000\000\141\162\143\150\151\166\145\057\166\145\162\163\151\157\156\120\113\005\006"
    "\000\000\000\000\002\000\002\000\171\000\000\000\163\000\000\000\000\000",
    258);
const std::string kZip64 = std::string(
    "\120\113\003\004\055\000\000\000\000\000\000\000\041\000\040\312\301\243\377\377\377\377\377\377"
    "\377\377\016\000\024\000\141\162\143\150\151\166\145\057\144\141\164\141\057\060\001\000\020\000"
    "\030\000\000\000\000\000\000\000\030\000\000\000\000\000\000\000\000\000\000\000\000\000\000\000"
    "\000\000\000\000\000\000\000\000\000\000\000\000\000\000\000\000\120\113\003\004\024\000\000\000"
    "\000\000\052\266\174\135\321\236\147\125\002\000\000\000\002\000\000\000\017\000\000\000\141\162"
    "\143\150\151\166\145\057\166\145\162\163\151\157\156\063\012\120\113\001\002\055\003\055\000\000"
    "\000\000\000\000\000\041\000\040\312\301\243\030\000\000\000\030\000\000\000\016\000\000\000\000"
    "\000\000\000\000\000\000\000\200\001\000\000\000\000\141\162\143\150\151\166\145\057\144\141\164"
    "\141\057\060\120\113\001\002\024\003\024\000\000\000\000\000\052\266\174\135\321\236\147\125\002"
    "\000\000\000\002\000\000\000\017\000\000\000\000\000\000\000\000\000\000\000\200\001\130\000\000"
    "\000\141\162\143\150\151\166\145\057\166\145\162\163\151\157\156\120\113\005\006\000\000\000\000"
    "\002\000\002\000\171\000\000\000\207\000\000\000\000\000",
    278);
const std::string kDeflated = std::string(
    "\120\113\003\004\024\000\000\000\010\000\000\000\041\000\040\312\301\243\005\000\000\000\030\000"
    "\000\000\016\000\000\000\141\162\143\150\151\166\145\057\144\141\164\141\057\060\143\140\300\016"
    "\000\120\113\003\004\024\000\000\000\010\000\052\266\174\135\321\236\147\125\004\000\000\000\002"
    "\000\000\000\017\000\000\000\141\162\143\150\151\166\145\057\166\145\162\163\151\157\156\063\346"
    "\002\000\120\113\001\002\024\003\024\000\000\000\010\000\000\000\041\000\040\312\301\243\005\000"
    "\000\000\030\000\000\000\016\000\000\000\000\000\000\000\000\000\000\000\200\001\000\000\000\000"
    "\141\162\143\150\151\166\145\057\144\141\164\141\057\060\120\113\001\002\024\003\024\000\000\000"
    "\010\000\052\266\174\135\321\236\147\125\004\000\000\000\002\000\000\000\017\000\000\000\000\000"
    "\000\000\000\000\000\000\200\001\061\000\000\000\141\162\143\150\151\166\145\057\166\145\162\163"
    "\151\157\156\120\113\005\006\000\000\000\000\002\000\002\000\171\000\000\000\142\000\000\000\000"
    "\000",
    241);

std::optional<std::string> overrun(const std::string& z) { return nrs::zip_entry_overrun(z.data(), z.size()); }

void put_le(std::string& s, size_t at, uint64_t v, int bytes) {
  for (int b = 0; b < bytes; ++b) s[at + b] = static_cast<char>((v >> (8 * b)) & 0xff);
}

}  // namespace

TEST(ZipBounds, PythonArchivesPass) {
  for (const auto& z : {kStored, kZip64, kDeflated}) EXPECT_FALSE(overrun(z).has_value()) << *overrun(z);
}

// Found by fuzzing: a central-directory size of 2.4 GB made LibTorch allocate
// it before reading. The first entry's header is at byte 115 (its 4-byte
// uncompressed size at +24).
TEST(ZipBounds, DeclaredSizeBeyondWhatTheFileCanHoldIsReported) {
  std::string z = kStored;
  put_le(z, 115 + 24, 2415919108u, 4);
  ASSERT_TRUE(overrun(z).has_value());
  EXPECT_EQ(*overrun(z), "archive/data/0 declares 2415919108 bytes");
  z = kStored;
  put_le(z, 115 + 24, z.size() * nrs::kMaxZipExpansion, 4);  // the limit itself passes
  EXPECT_FALSE(overrun(z).has_value());
}

TEST(ZipBounds, NotAZipOrCutShortGivesNoVerdict) {
  EXPECT_FALSE(overrun("not a zip at all").has_value());
  for (size_t n = 0; n < kStored.size(); ++n) EXPECT_FALSE(overrun(kStored.substr(0, n)).has_value()) << n;
}

// Record integrity on the same Python-made archives: intact ones pass (their
// CRCs are zipfile's, computed outside this code); a changed byte inside a
// record's data is a CRC mismatch naming the record; a cut file or an empty
// one has no directory to read.
TEST(ZipDamage, ChangedBytesTruncationAndEmptyFilesAreNamed) {
  for (const auto& z : {kStored, kZip64, kDeflated})
    EXPECT_FALSE(nrs::zip_damage(z.data(), z.size()).has_value()) << *nrs::zip_damage(z.data(), z.size());
  // kStored: archive/data/0's 24 zero bytes start after its 30-byte local header, its name and extra field.
  std::string z = kStored;
  const auto le16 = [&](size_t at) {
    return static_cast<size_t>(static_cast<unsigned char>(z[at])) |
           static_cast<size_t>(static_cast<unsigned char>(z[at + 1])) << 8;
  };
  const size_t data = 30 + le16(26) + le16(28);
  ASSERT_EQ(z[data + 5], '\0');
  z[data + 5] = '\x01';
  ASSERT_TRUE(nrs::zip_damage(z.data(), z.size()).has_value());
  EXPECT_EQ(*nrs::zip_damage(z.data(), z.size()), "archive/data/0: CRC mismatch");
  z = kDeflated;
  z[z.find("archive/data/0") + 14 + 2] ^= 0x10;  // inside the deflated stream
  EXPECT_TRUE(nrs::zip_damage(z.data(), z.size()).has_value());
  for (size_t n : {size_t{0}, size_t{10}, kStored.size() / 2, kStored.size() - 1}) {
    const auto d = nrs::zip_damage(kStored.data(), n);
    ASSERT_TRUE(d.has_value()) << n;
  }
  z = kStored;
  z[0] = 'X';  // the first local header's signature
  EXPECT_EQ(*nrs::zip_damage(z.data(), z.size()), "archive/data/0: local header damaged");
}
