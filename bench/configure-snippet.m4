dnl bench/configure-snippet.m4 - the benchmark's optional comparisons
dnl (bench/local.mk): Boost.Interprocess (needs a C++ compiler), ZeroMQ,
dnl DPDK rte_ring, Concurrency Kit ck_ring and iceoryx. Each is detected,
dnl never required: a missing one only turns its rows into "not built".
dnl --without-boost, --without-zmq, --without-dpdk, --without-ck and
dnl --without-iceoryx leave one out on purpose. Include from configure.ac after PKG_PROG_PKG_CONFIG:
dnl   m4_include([bench/configure-snippet.m4])
dnl Sets the conditionals HAVE_CXX, HAVE_BOOST_IPC, HAVE_ZMQ (with
dnl ZMQ_CFLAGS / ZMQ_LIBS), HAVE_DPDK, HAVE_CK, HAVE_IOX (with DPDK_* and
dnl IOX_* flags) and HAVE_GNUPLOT (GNUPLOT, for make plots).

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

dnl The rings people run: DPDK's rte_ring (used without its environment,
dnl so only librte_ring is linked; its headers come in as system headers,
dnl and pkg-config's -march is left out so that the program runs where it
dnl is built), Concurrency Kit's ck_ring (header only) and iceoryx through
dnl its C binding (Debian installs the headers under a versioned folder;
dnl the benchmark runs iox-roudi, found on PATH, when it measures it).
AC_ARG_WITH([dpdk],
  [AS_HELP_STRING([--without-dpdk], [leave DPDK rte_ring out of the benchmark])],
  [], [with_dpdk=check])
have_dpdk=no
AS_IF([test "x$with_dpdk" != xno],
      [PKG_CHECK_MODULES([DPDK_PC], [libdpdk], [have_dpdk=yes], [have_dpdk=no])])
AS_IF([test "x$have_dpdk" = xyes],
      [DPDK_CFLAGS=
       for f in $DPDK_PC_CFLAGS; do
         case $f in
           -I*) DPDK_CFLAGS="$DPDK_CFLAGS -isystem ${f#-I}" ;;
         esac
       done
       DPDK_LIBS="-lrte_ring"
       save_CPPFLAGS=$CPPFLAGS save_LIBS=$LIBS
       CPPFLAGS="$CPPFLAGS $DPDK_CFLAGS" LIBS="$DPDK_LIBS $LIBS"
       AC_MSG_CHECKING([whether rte_ring links without the EAL])
       AC_LINK_IFELSE([AC_LANG_PROGRAM([[#include <rte_config.h>
#include <rte_ring.h>]], [[return rte_ring_init(0, "x", 16, 0);]])],
		      [have_dpdk=yes], [have_dpdk=no])
       AC_MSG_RESULT([$have_dpdk])
       CPPFLAGS=$save_CPPFLAGS LIBS=$save_LIBS])
AS_IF([test "x$with_dpdk" = xyes && test "x$have_dpdk" != xyes],
      [AC_MSG_ERROR([--with-dpdk: DPDK's rte_ring not found])])
AC_SUBST([DPDK_CFLAGS])
AC_SUBST([DPDK_LIBS])
AM_CONDITIONAL([HAVE_DPDK], [test "x$have_dpdk" = xyes])

AC_ARG_WITH([ck],
  [AS_HELP_STRING([--without-ck], [leave Concurrency Kit out of the benchmark])],
  [], [with_ck=check])
have_ck=no
AS_IF([test "x$with_ck" != xno],
      [AC_CHECK_HEADER([ck_ring.h], [have_ck=yes], [have_ck=no])])
AS_IF([test "x$with_ck" = xyes && test "x$have_ck" != xyes],
      [AC_MSG_ERROR([--with-ck: ck_ring.h not found])])
AM_CONDITIONAL([HAVE_CK], [test "x$have_ck" = xyes])

AC_ARG_WITH([iceoryx],
  [AS_HELP_STRING([--without-iceoryx], [leave iceoryx out of the benchmark])],
  [], [with_iceoryx=check])
have_iceoryx=no
IOX_CFLAGS=
IOX_LIBS=
AS_IF([test "x$with_iceoryx" != xno],
      [for d in /usr/include/iceoryx/v* /usr/local/include/iceoryx/v*; do
         test -f "$d/iceoryx_binding_c/runtime.h" && IOX_CFLAGS="-isystem $d"
       done
       save_CPPFLAGS=$CPPFLAGS save_LIBS=$LIBS
       CPPFLAGS="$CPPFLAGS $IOX_CFLAGS" LIBS="-liceoryx_binding_c $LIBS"
       AC_MSG_CHECKING([for the iceoryx C binding])
       AC_LINK_IFELSE([AC_LANG_PROGRAM([[#include <iceoryx_binding_c/runtime.h>]],
					[[iox_runtime_shutdown();]])],
		      [have_iceoryx=yes IOX_LIBS=-liceoryx_binding_c],
		      [have_iceoryx=no])
       AC_MSG_RESULT([$have_iceoryx])
       CPPFLAGS=$save_CPPFLAGS LIBS=$save_LIBS])
AS_IF([test "x$with_iceoryx" = xyes && test "x$have_iceoryx" != xyes],
      [AC_MSG_ERROR([--with-iceoryx: the iceoryx C binding not found])])
AC_SUBST([IOX_CFLAGS])
AC_SUBST([IOX_LIBS])
AM_CONDITIONAL([HAVE_IOX], [test "x$have_iceoryx" = xyes])

AC_PATH_PROG([GNUPLOT], [gnuplot], [no])
AM_CONDITIONAL([HAVE_GNUPLOT], [test "x$GNUPLOT" != xno])

AC_MSG_NOTICE([benchmark comparisons: Boost.Interprocess $have_boost_ipc, ZeroMQ $have_zmq, gnuplot $GNUPLOT])
AC_MSG_NOTICE([benchmark rings: DPDK $have_dpdk, Concurrency Kit $have_ck, iceoryx $have_iceoryx])
