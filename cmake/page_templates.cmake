# Embeds the leaderboard page's templates, suite/matrix/page/*.html, into the
# binary: each file's text becomes a raw string literal in the generated
# header nrsbench/page_templates.h, keyed by its name without ".html", so the
# page stays one self-contained file written by nrsbench alone. CMake re-runs
# (and the header changes) when a template is added, removed or edited.
file(GLOB NRS_PAGE_TEMPLATE_FILES CONFIGURE_DEPENDS ${CMAKE_SOURCE_DIR}/suite/matrix/page/*.html)
list(SORT NRS_PAGE_TEMPLATE_FILES)
set(NRS_PAGE_TEMPLATES "")
foreach(f IN LISTS NRS_PAGE_TEMPLATE_FILES)
  set_property(DIRECTORY APPEND PROPERTY CMAKE_CONFIGURE_DEPENDS ${f})
  get_filename_component(name ${f} NAME_WE)
  file(READ ${f} text)
  string(FIND "${text}" ")nrs_page\"" delim)
  if(NOT delim EQUAL -1)
    message(FATAL_ERROR "${f} contains the raw-string delimiter )nrs_page\"")
  endif()
  string(APPEND NRS_PAGE_TEMPLATES "    {\"${name}\", R\"nrs_page(${text})nrs_page\"},\n")
endforeach()
configure_file(${CMAKE_SOURCE_DIR}/cmake/page_templates.h.in ${CMAKE_BINARY_DIR}/generated/nrsbench/page_templates.h
               @ONLY)
