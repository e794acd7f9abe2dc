dnl bench/configure-snippet.m4 - optional comparison targets of the benchmark
dnl (bench/local.mk): a C++ compiler, Boost.Interprocess and ZeroMQ.
dnl Each is detected, never required: a missing one only turns its rows
dnl into "not built".  Include from configure.ac after PKG_PROG_PKG_CONFIG
dnl with m4_include([bench/configure-snippet.m4]).

dnl C++: AC_PROG_CXX always sets CXX (falls back to "g++" even when absent),
dnl so check that it really compiles something.
AC_PROG_CXX
AC_LANG_PUSH([C++])
AC_MSG_CHECKING([whether the C++ compiler works])
AC_COMPILE_IFELSE([AC_LANG_PROGRAM([[#include <new>]], [[int *p = new int(1); delete p;]])],
		  [have_cxx=yes], [have_cxx=no])
AC_MSG_RESULT([$have_cxx])
have_boost_ipc=no
AS_IF([test "x$have_cxx" = xyes],
      [AC_CHECK_HEADER([boost/interprocess/ipc/message_queue.hpp],
		       [have_boost_ipc=yes], [have_boost_ipc=no])])
AC_LANG_POP([C++])
AM_CONDITIONAL([HAVE_CXX], [test "x$have_cxx" = xyes])
AM_CONDITIONAL([HAVE_BOOST_IPC], [test "x$have_boost_ipc" = xyes])
AS_IF([test "x$have_boost_ipc" = xyes],
      [AC_DEFINE([HAVE_BOOST_IPC], [1],
		 [Define to 1 if the benchmark can use Boost.Interprocess.])])

PKG_CHECK_MODULES([ZMQ], [libzmq], [have_zmq=yes], [have_zmq=no])
AM_CONDITIONAL([HAVE_ZMQ], [test "x$have_zmq" = xyes])
AS_IF([test "x$have_zmq" = xyes],
      [AC_DEFINE([HAVE_ZMQ], [1],
		 [Define to 1 if the benchmark can use ZeroMQ.])])

AC_PATH_PROG([GNUPLOT], [gnuplot], [no])
AM_CONDITIONAL([HAVE_GNUPLOT], [test "x$GNUPLOT" != xno])

AC_MSG_NOTICE([benchmark comparisons: C++ $have_cxx, Boost.Interprocess $have_boost_ipc, ZeroMQ $have_zmq, gnuplot $GNUPLOT])
