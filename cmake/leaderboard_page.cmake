# Embeds suite/matrix/leaderboard_page.html into the binary: its text becomes a
# raw string literal in the generated header nrsbench/leaderboard_page.h, so
# the page stays one self-contained file written by nrsbench alone. CMake
# re-runs (and the header changes) when the template changes.
set(NRS_PAGE_TEMPLATE ${CMAKE_SOURCE_DIR}/suite/matrix/leaderboard_page.html)
set_property(DIRECTORY APPEND PROPERTY CMAKE_CONFIGURE_DEPENDS ${NRS_PAGE_TEMPLATE})
file(READ ${NRS_PAGE_TEMPLATE} NRS_PAGE_TEMPLATE_TEXT)
string(FIND "${NRS_PAGE_TEMPLATE_TEXT}" ")nrs_page\"" NRS_PAGE_DELIM)
if(NOT NRS_PAGE_DELIM EQUAL -1)
  message(FATAL_ERROR "${NRS_PAGE_TEMPLATE} contains the raw-string delimiter )nrs_page\"")
endif()
configure_file(${CMAKE_SOURCE_DIR}/cmake/leaderboard_page.h.in
               ${CMAKE_BINARY_DIR}/generated/nrsbench/leaderboard_page.h @ONLY)
