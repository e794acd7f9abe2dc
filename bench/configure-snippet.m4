dnl bench/configure-snippet.m4 - the benchmark's optional comparisons
dnl (bench/local.mk): Boost.Interprocess (needs a C++ compiler) and
dnl ZeroMQ. Each is detected, never required: a missing one only turns
dnl its rows into "not built". --without-boost / --without-zmq leave one
dnl out on purpose. Include from configure.ac after PKG_PROG_PKG_CONFIG:
dnl   m4_include([bench/configure-snippet.m4])
dnl Sets the conditionals HAVE_CXX, HAVE_BOOST_IPC, HAVE_ZMQ (with
dnl ZMQ_CFLAGS / ZMQ_LIBS) and HAVE_GNUPLOT (GNUPLOT, for make plots).

AC_ARG_WITH([boost],
  [AS_HELP_STRING([--without-boost],
		  [leave Boost.Interprocess out of the benchmark])],
  [], [with_boost=check])
AC_ARG_WITH([zmq],
  [AS_HELP_STRING([--without-zmq], [leave ZeroMQ out of the benchmark])],
  [], [with_zmq=check])

dnl AC_PROG_CXX sets CXX even when there is no C++ compiler at all (to
dnl "g++"), so check that it really compiles something.
AC_PROG_CXX
AC_LANG_PUSH([C++])
AC_MSG_CHECKING([whether the C++ compiler works])
AC_COMPILE_IFELSE([AC_LANG_PROGRAM([[#include <new>]],
				   [[int *p = new int(1); delete p;]])],
		  [have_cxx=yes], [have_cxx=no])
AC_MSG_RESULT([$have_cxx])
have_boost_ipc=no
AS_IF([test "x$have_cxx" = xyes && test "x$with_boost" != xno],
      [AC_CHECK_HEADER([boost/interprocess/ipc/message_queue.hpp],
		       [have_boost_ipc=yes], [have_boost_ipc=no])])
AC_LANG_POP([C++])
AS_IF([test "x$with_boost" = xyes && test "x$have_boost_ipc" != xyes],
      [AC_MSG_ERROR([--with-boost: Boost.Interprocess or a C++ compiler is missing])])
AM_CONDITIONAL([HAVE_CXX], [test "x$have_cxx" = xyes])
AM_CONDITIONAL([HAVE_BOOST_IPC], [test "x$have_boost_ipc" = xyes])

have_zmq=no
AS_IF([test "x$with_zmq" != xno],
      [PKG_CHECK_MODULES([ZMQ], [libzmq], [have_zmq=yes], [have_zmq=no])])
AS_IF([test "x$with_zmq" = xyes && test "x$have_zmq" != xyes],
      [AC_MSG_ERROR([--with-zmq: libzmq not found])])
AM_CONDITIONAL([HAVE_ZMQ], [test "x$have_zmq" = xyes])

AC_PATH_PROG([GNUPLOT], [gnuplot], [no])
AM_CONDITIONAL([HAVE_GNUPLOT], [test "x$GNUPLOT" != xno])

AC_MSG_NOTICE([benchmark comparisons: Boost.Interprocess $have_boost_ipc, ZeroMQ $have_zmq, gnuplot $GNUPLOT])
