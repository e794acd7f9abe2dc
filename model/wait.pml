/*
 * wait.pml - the sleep/wake protocol of lib/wait.c, with store buffers.
 *
 * A producer and a consumer share a ring of CAP messages and pass N of
 * them. Each side, finding the ring full (empty), sleeps on the other
 * side's futex word with the protocol of lib/wait.c:
 *
 *   sleeper                          publisher
 *   W3 v = seq                       P1 store position
 *   W1 waiters |= bit                P2 full fence
 *   W2 full fence                    P3 if waiters != 0:
 *   W4 re-check the ring             P3'    claim = xchg(waiters, 0)
 *   S1 asleep |= bit                 P4     if claim: seq += 1
 *   S2 full fence                    P5         full fence
 *   W5 futex_wait(seq, v)            P6         if asleep & claim:
 *   S3 asleep &= ~bit                               futex_wake(seq)
 *   (round again from W3; on leaving: W6 waiters &= ~bit)
 *
 * The announcement is a token (one wake per sleep): the publisher that
 * finds it takes it (P3', a locked exchange, in a step of its own after
 * P3, so that other steps fall between) and only a publisher that took
 * it wakes; the sleeper announces again on every round. W3 comes before
 * W1: a P3 that read the announcement late may take one made after its
 * own message was consumed, and the sleeper must then not sleep on a seq
 * read after that publisher's P4.
 *
 * The asleep word says which announced sleepers went past their
 * re-check: a publisher that took an announcement whose owner has not
 * (it is re-checking, and will find the message, or is about to sleep)
 * makes no wake call. S1-S2 against P4-P6 is a second Dekker pair:
 * either the publisher sees the asleep bit and wakes, or the sleeper's
 * futex_wait reads the seq that P4 moved and returns at once. So every
 * take bumps seq (P4), asleep or not.
 *
 * Memory is modelled with store buffers (total store order, as on x86):
 * every store a process makes goes to its own FIFO buffer, which a
 * separate process drains into memory at any moment; a process reads its
 * own variables from what it last wrote (store forwarding) and the other's
 * from memory. A full fence waits until the process's buffer is empty. So
 * a store followed by a load of another variable may be reordered, which
 * is exactly what breaks a Dekker pair such as W1/W4 against P1/P3.
 *
 * The sleeper's read-modify-writes of its bits (W1, S1, S3, W6) go
 * through its store buffer as well, applied to memory when drained: the
 * library uses locked RMWs, but a C11 seq_cst RMW followed by a relaxed
 * load of another variable is not ordered on every architecture (on
 * ARMv8 the load may complete before the store-release half of the RMW
 * is visible), so the model does not lean on it. P3' and P4 are RMWs the
 * publisher makes after draining its buffer, on memory, in one step.
 *
 * futex_wait(seq, v) compares the word in memory with v and sleeps
 * atomically with respect to futex_wake, as the kernel's hash-bucket lock
 * makes it; the model has no timeouts (the library's 50 ms sleep slices
 * would hide a lost wake-up as a delay: the model shows there is none).
 *
 * Variants (spin -D...):
 *   (none)          full fences at W2 and P2: must verify;
 *   MEMBARRIER      P2 a compiler barrier only, and W2' after W2: the
 *                   sleeper's membarrier(GLOBAL_EXPEDITED), modelled as
 *                   draining the other process's store buffer: must verify;
 *   NO_ASLEEP       the token alone, without S1-S3 and P5-P6 (every take
 *                   wakes, the protocol before the asleep word): verifies;
 *   NO_FENCE        neither fence: the checker must find the lost wake-up;
 *   LIGHT_ONLY      P2 a compiler barrier, no W2': must fail likewise;
 *   NO_RECHECK      fences, but no W4: must fail;
 *   LATE_READ       W3 after W1-W2 (the order before the token): must
 *                   fail, a late take leaving the sleeper asleep on a
 *                   seq that no later publish moves;
 *   BUMP_IF_ASLEEP  P4 only when P6 finds the owner asleep: must fail,
 *                   a sleeper past S1 then sleeps on an unmoved seq;
 *   ASLEEP_NO_FENCE no S2: must fail, S1 still in the store buffer when
 *                   the publisher reads the asleep word;
 *   SUBS=2          broadcast: one publisher, two subscribers announced
 *                   by their own bits of one waiters word (and of one
 *                   asleep word), woken by one wake of every sleeper;
 *                   the ring never fills (overwrite mode, or room for
 *                   all N): must verify, with any of the fence variants;
 *   SUBS=2 TAKE_ONE the publisher takes one bit only (the lowest) and
 *                   wakes only if its owner sleeps: must fail;
 *   SUBS=2 WAKE_ONE the publisher wakes one sleeper, not all: must fail.
 *
 * A lost wake-up shows as an invalid end state: a process asleep for good
 * on a futex while the other has finished (or sleeps too).
 */

#ifndef N
#define N 3
#endif
#ifndef CAP
#define CAP 1
#endif

/* Memory: variable ids. */
#define PROD 0 /* producer position: messages published */
#define CONS 1 /* consumer position: messages consumed */
#define DW 2   /* data_wait.waiters: consumers announced */
#define DS 3   /* data_wait.seq: the consumer's futex word */
#define SW 4   /* space_wait.waiters */
#define SS 5   /* space_wait.seq: the producer's futex word */
#define DA 6   /* data_wait.asleep: consumers past their re-check */
#define SA 7   /* space_wait.asleep */

byte mem[8];

/* A buffered store: variable, value, and how it applies to memory. */
#define OP_SET 0
#define OP_OR 1
#define OP_ANDN 2

/*
 * Who is blocked in futex_wait: 0 the producer (on SS), 1 the consumer or
 * the first subscriber, 2 the second subscriber (on DS).
 */
bool blocked[3];
byte consumed; /* what the consumer took, for the final check */

/* Drain one process's buffer into memory, oldest store first, whenever. */
#define APPLY(var, val, op)                                          \
	if                                                           \
	:: op == OP_SET -> mem[var] = val                            \
	:: op == OP_OR -> mem[var] = mem[var] | val                  \
	:: op == OP_ANDN -> mem[var] = mem[var] & (255 - val)        \
	fi

proctype drainer(chan b)
{
	byte var, val, op;
end:
	do
	:: atomic { b ? var, val, op -> APPLY(var, val, op); var = 0; val = 0; op = 0 }
	od
}

/* Drain @b right now (a full barrier on that CPU). */
#define FLUSH(b)                                                     \
	do                                                           \
	:: atomic { nempty(b) -> b ? tvar, tval, top;                \
		    APPLY(tvar, tval, top) }                          \
	:: empty(b) -> break                                         \
	od

#define STORE(b, var, val) b ! var, val, OP_SET
#define OR(b, var, val) b ! var, val, OP_OR
#define ANDN(b, var, val) b ! var, val, OP_ANDN
#define FENCE(b) empty(b)

#if defined(NO_FENCE)
#define SLEEPER_FENCE(own, other) skip
#define PUBLISHER_FENCE(own) skip
#elif defined(LIGHT_ONLY)
#define SLEEPER_FENCE(own, other) FENCE(own)
#define PUBLISHER_FENCE(own) skip
#elif defined(MEMBARRIER)
/* W2, then W2': every other CPU runs a full barrier. */
#define SLEEPER_FENCE(own, other) FENCE(own); atomic { FLUSH(other) }
#define PUBLISHER_FENCE(own) skip
#else
#define SLEEPER_FENCE(own, other) FENCE(own)
#define PUBLISHER_FENCE(own) FENCE(own)
#endif

#ifdef NO_RECHECK
#define RECHECK(ready) skip
#else
#define RECHECK(ready) if :: (ready) -> break :: else -> skip fi
#endif

#ifdef LATE_READ
#define READ_EARLY(seq) skip
#define READ_LATE(seq) v = mem[seq]
#else
#define READ_EARLY(seq) v = mem[seq]
#define READ_LATE(seq) skip
#endif

/* S1-S2 and S3: the sleeper's asleep bit around its futex_wait. */
#if defined(NO_ASLEEP)
#define MARK_ASLEEP(own, asl, bit) skip
#define UNMARK_ASLEEP(own, asl, bit) skip
#elif defined(ASLEEP_NO_FENCE)
#define MARK_ASLEEP(own, asl, bit) OR(own, asl, bit)
#define UNMARK_ASLEEP(own, asl, bit) ANDN(own, asl, bit)
#else
#define MARK_ASLEEP(own, asl, bit) OR(own, asl, bit); FENCE(own)
#define UNMARK_ASLEEP(own, asl, bit) ANDN(own, asl, bit)
#endif

/*
 * Wait on futex word @seq until the condition @ready holds, announcing
 * @bit on @waiters and @asl: the loop of wait_for(). @me indexes blocked[].
 */
#define WAIT_FOR(own, other, waiters, seq, asl, bit, me, ready)        \
	do                                                             \
	:: (ready) -> break                                            \
	:: else ->                                                     \
		READ_EARLY(seq);                           /* W3 */     \
		OR(own, waiters, bit);                     /* W1 */     \
		announced = true;                                      \
		SLEEPER_FENCE(own, other);                 /* W2, W2' */ \
		READ_LATE(seq);                            /* W3 late */ \
		RECHECK(ready);                            /* W4 */     \
		MARK_ASLEEP(own, asl, bit);                /* S1, S2 */ \
		atomic {                                   /* W5 */     \
			if                                             \
			:: mem[seq] == v -> blocked[me] = true         \
			:: else -> skip                                \
			fi                                             \
		};                                                     \
		!blocked[me];                                          \
		UNMARK_ASLEEP(own, asl, bit)               /* S3 */     \
	od;                                                            \
	if                                                             \
	:: announced -> ANDN(own, waiters, bit); announced = false /* W6 */ \
	:: else -> skip                                                \
	fi

/* futex_wake(seq, INT_MAX): every process blocked on @seq runs again. */
#if SUBS == 2 && defined(WAKE_ONE)
#define FUTEX_WAKE(seq)                                                \
	atomic {                                                       \
		if                                                     \
		:: seq == SS -> blocked[0] = false                     \
		:: seq == DS && blocked[1] -> blocked[1] = false       \
		:: seq == DS && blocked[2] -> blocked[2] = false       \
		:: seq == DS && !blocked[1] && !blocked[2] -> skip     \
		fi                                                     \
	}
#else
#define FUTEX_WAKE(seq)                                                \
	atomic {                                                       \
		if                                                     \
		:: seq == SS -> blocked[0] = false                     \
		:: else -> blocked[1] = false; blocked[2] = false      \
		fi                                                     \
	}
#endif

/* P3': take every announcement (TAKE_ONE: the lowest bit only). */
#ifdef TAKE_ONE
#define TAKE(waiters)                                                  \
	atomic {                                                       \
		claim = mem[waiters] & (256 - mem[waiters]);           \
		mem[waiters] = mem[waiters] - claim                    \
	}
#else
#define TAKE(waiters) atomic { claim = mem[waiters]; mem[waiters] = 0 }
#endif

/* P4-P6 for a take of @claim != 0. */
#if defined(NO_ASLEEP)
#define WAKE_TAKEN(seq, asl)                                           \
	mem[seq] = mem[seq] + 1;                           /* P4 */     \
	FUTEX_WAKE(seq)
#elif defined(BUMP_IF_ASLEEP)
#define WAKE_TAKEN(seq, asl)                                           \
	if                                                             \
	:: (mem[asl] & claim) != 0 ->                      /* P6 */     \
		mem[seq] = mem[seq] + 1;                   /* P4 */     \
		FUTEX_WAKE(seq)                                        \
	:: else -> skip                                                \
	fi
#else
/* P4 is an RMW on memory after the drain; P5 has nothing left to drain. */
#define WAKE_TAKEN(seq, asl)                                           \
	mem[seq] = mem[seq] + 1;                           /* P4, P5 */ \
	if                                                             \
	:: (mem[asl] & claim) != 0 -> FUTEX_WAKE(seq)      /* P6 */     \
	:: else -> skip                                                \
	fi
#endif

/*
 * After publishing: wake the other side if it announced itself, taking
 * its announcement. P3' is a locked RMW: it drains the buffer, then reads
 * and clears the word in memory in one step.
 */
#define WAKE(own, waiters, seq, asl)                                   \
	PUBLISHER_FENCE(own);                              /* P2 */     \
	if                                                             \
	:: mem[waiters] != 0 ->                            /* P3 */     \
		FENCE(own);                                            \
		TAKE(waiters);                             /* P3' */    \
		if                                                     \
		:: claim != 0 -> WAKE_TAKEN(seq, asl)                  \
		:: else -> skip                                        \
		fi;                                                    \
		claim = 0                                              \
	:: else -> skip                                                \
	fi

#if SUBS == 2
/*
 * Broadcast: the publisher never waits (the ring has room for all N, or
 * overwrites); each subscriber waits for every message on data_wait with
 * its own bit (1 and 2) of the shared waiters and asleep words.
 */
chan bufP = [2] of { byte, byte, byte };
chan bufS1 = [2] of { byte, byte, byte };
chan bufS2 = [2] of { byte, byte, byte };
byte got[3];

proctype publisher()
{
	byte p, claim;

	do
	:: p == N -> break
	:: else ->
		p++;
		STORE(bufP, PROD, p);                      /* P1 */
		WAKE(bufP, DW, DS, DA)
	od
}

proctype subscriber(chan own; byte mine; byte me)
{
	byte c, v, tvar, tval, top;
	bool announced;

	do
	:: c == N -> break
	:: else ->
		WAIT_FOR(own, bufP, DW, DS, DA, mine, me, mem[PROD] != c);
		c++
	od;
	got[me] = c
}

init
{
	atomic {
		run drainer(bufP);
		run drainer(bufS1);
		run drainer(bufS2);
		run publisher();
		run subscriber(bufS1, 1, 1);
		run subscriber(bufS2, 2, 2)
	}
}
#else
chan bufP = [2] of { byte, byte, byte }; /* producer's store buffer */
chan bufC = [2] of { byte, byte, byte }; /* consumer's store buffer */

proctype producer()
{
	byte p, v, claim, tvar, tval, top;
	bool announced;

	do
	:: p == N -> break
	:: else ->
		/* Room: CAP more than what the consumer has taken. */
		WAIT_FOR(bufP, bufC, SW, SS, SA, 1, 0, p - mem[CONS] < CAP);
		p++;
		STORE(bufP, PROD, p);                      /* P1 */
		WAKE(bufP, DW, DS, DA)
	od
}

proctype consumer()
{
	byte c, v, claim, tvar, tval, top;
	bool announced;

	do
	:: c == N -> break
	:: else ->
		WAIT_FOR(bufC, bufP, DW, DS, DA, 1, 1, mem[PROD] != c);
		c++;
		STORE(bufC, CONS, c);                      /* C2 */
		WAKE(bufC, SW, SS, SA)
	od;
	consumed = c
}

init
{
	atomic {
		run drainer(bufP);
		run drainer(bufC);
		run producer();
		run consumer()
	}
}
#endif
