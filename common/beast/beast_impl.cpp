// The one translation unit that compiles Boost.Asio, Asio's SSL support and Boost.Beast.
// Every other target links pakt_beast and sees only declarations (separate compilation).
#include <boost/asio/impl/src.hpp>
#include <boost/asio/ssl/impl/src.hpp>
#include <boost/beast/src.hpp>
