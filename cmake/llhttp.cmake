# llhttp: Debian's node-llhttp ships the generated C sources; we build them as our own static library.
set(LLHTTP_SOURCE_DIR /usr/share/llhttp CACHE PATH "llhttp generated C sources")
set(LLHTTP_INCLUDE_DIR /usr/share/include/llhttp CACHE PATH "llhttp header")
if(NOT EXISTS ${LLHTTP_SOURCE_DIR}/llhttp.c OR NOT EXISTS ${LLHTTP_INCLUDE_DIR}/llhttp.h)
  message(FATAL_ERROR "llhttp sources not found: install node-llhttp (scripts/install-deps.sh)")
endif()
add_library(llhttp STATIC
  ${LLHTTP_SOURCE_DIR}/llhttp.c ${LLHTTP_SOURCE_DIR}/api.c ${LLHTTP_SOURCE_DIR}/http.c)
target_include_directories(llhttp SYSTEM PUBLIC ${LLHTTP_INCLUDE_DIR})
set_target_properties(llhttp PROPERTIES C_STANDARD 99 POSITION_INDEPENDENT_CODE ON)
target_compile_options(llhttp PRIVATE -O2 -w)
# Strict mode: a CR must be followed by LF everywhere (chunk lines included), and no other
# leniency in the request line or chunk framing; what a front proxy and weir might read
# differently is refused, not guessed (RFC 9112 2.2).
target_compile_definitions(llhttp PRIVATE LLHTTP_STRICT_MODE=1)
add_library(weir::llhttp ALIAS llhttp)
