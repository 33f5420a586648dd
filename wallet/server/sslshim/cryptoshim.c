/* libcrypto shim for Debian's libcivetweb1: civetweb also calls dlopen("libcrypto.so"), a
 * name that only libssl-dev provides, so on a machine with just the runtime libraries
 * mg_start fails. This library defines nothing: its SONAME is libcrypto.so and it depends on
 * libcrypto.so.3. Linked into a program (--no-as-needed, reached through RUNPATH), it is
 * already loaded when civetweb asks for "libcrypto.so", so the loader hands civetweb this
 * object, and dlsym() finds every function in its dependency libcrypto.so.3. */
typedef int cw_cryptoshim_defines_nothing;
