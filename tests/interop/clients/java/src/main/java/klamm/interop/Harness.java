/*
 * What klamm's Java interop programs share: the result lines the interop
 * matrix (tests/interop/run.py) reads on stdout, logging on stderr, the
 * per-scenario deadline and the program's time budget. A scenario stuck in a
 * library call is abandoned at its deadline so that the others still run and
 * the program always ends in time, with exit code 0: failures are reported as
 * lines, not exit codes.
 */
package klamm.interop;

import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;

final class Harness {
    /** A scenario's check did not hold: reported as FAIL with this message. */
    static final class Fail extends Exception {
        private static final long serialVersionUID = 1L;

        Fail(String message) {
            super(message);
        }
    }

    /** Something the client cannot do: reported as SKIP. */
    static final class Skip extends Exception {
        private static final long serialVersionUID = 1L;

        Skip(String message) {
            super(message);
        }
    }

    /** One scenario's test; it should give up by its deadline. */
    interface Scenario {
        void run(Deadline deadline) throws Exception;
    }

    /** A point in time a scenario must finish by. */
    static final class Deadline {
        private final long at;

        Deadline(Duration d) {
            at = System.nanoTime() + d.toNanos();
        }

        Duration left() {
            return Duration.ofNanos(Math.max(0, at - System.nanoTime()));
        }

        long leftMs() {
            return Math.max(1, left().toMillis());
        }

        boolean passed() {
            return System.nanoTime() >= at;
        }

        /** The earlier of this deadline and `d` from now. */
        Deadline within(Duration d) {
            Deadline other = new Deadline(d);
            return other.at < at ? other : this;
        }
    }

    private static final PrintStream OUT = new PrintStream(System.out, true, StandardCharsets.UTF_8);
    private static final long STARTED = System.nanoTime();
    private static String tag = "java";

    private final Duration scenarioTime;
    private final Duration budget;
    private final List<String> names = new ArrayList<>();
    private final List<Scenario> scenarios = new ArrayList<>();
    private final List<Runnable> atEnd = new ArrayList<>();

    Harness(Duration scenarioTime, Duration budget) {
        this.scenarioTime = scenarioTime;
        this.budget = budget;
    }

    /** Reads the command line (bootstrap, prefix), or prints the usage and exits 2. */
    static String[] start(String program, String[] args) {
        tag = program;
        if (args.length != 2) {
            System.err.println("usage: " + program + " <bootstrap host:port[,...]> <topic/group prefix>");
            System.exit(2);
        }
        return args;
    }

    static void version(String client, String version) {
        OUT.println("VERSION " + client + " " + version);
    }

    /** The version a Kafka jar records in its properties resource (the clients' own AppInfoParser is internal). */
    static String jarVersion(Class<?> inJar, String resource) {
        try (java.io.InputStream in = inJar.getClassLoader().getResourceAsStream(resource)) {
            java.util.Properties p = new java.util.Properties();
            if (in != null) {
                p.load(in);
            }
            return p.getProperty("version", "unknown");
        } catch (java.io.IOException e) {
            return "unknown";
        }
    }

    static void log(String format, Object... args) {
        double at = (System.nanoTime() - STARTED) / 1e9;
        System.err.printf("[%s %7.2fs] %s%n", tag, at, String.format(format, args));
        System.err.flush();
    }

    /** Runs `cleanup` once the scenarios are done (the JVM then halts: shutdown hooks do not run). */
    Harness atEnd(Runnable cleanup) {
        atEnd.add(cleanup);
        return this;
    }

    Harness add(String name, Scenario scenario) {
        names.add(name);
        scenarios.add(scenario);
        return this;
    }

    /** Runs the scenarios in order, prints their lines, and ends the JVM with 0. */
    void runAndExit() {
        for (int i = 0; i < names.size(); i++) {
            String name = names.get(i);
            Duration left = budget.minusNanos(System.nanoTime() - STARTED);
            if (left.compareTo(Duration.ofSeconds(3)) < 0) {
                OUT.println("FAIL " + name + ": not run, program time budget (" + budget.toSeconds() + " s) used up");
                continue;
            }
            Duration time = left.compareTo(scenarioTime) < 0 ? left : scenarioTime;
            runOne(name, scenarios.get(i), time);
        }
        for (Runnable cleanup : atEnd) {
            try {
                cleanup.run();
            } catch (RuntimeException e) {
                log("cleanup failed: %s", e);
            }
        }
        log("done in %.1f s", (System.nanoTime() - STARTED) / 1e9);
        OUT.flush();
        System.err.flush();
        // A client left behind by a failed scenario must not delay the exit.
        Runtime.getRuntime().halt(0);
    }

    private void runOne(String name, Scenario scenario, Duration time) {
        log("=== %s (%d s)", name, time.toSeconds());
        long t0 = System.nanoTime();
        Deadline deadline = new Deadline(time);
        AtomicReference<Throwable> outcome = new AtomicReference<>();
        Thread worker = new Thread(() -> {
            try {
                scenario.run(deadline);
            } catch (Throwable t) {
                outcome.set(t);
            }
        }, "scenario-" + name);
        worker.setDaemon(true);
        worker.start();
        boolean finished;
        try {
            worker.join(time.toMillis() + 5000);
            finished = !worker.isAlive();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            finished = false;
        }
        String line;
        if (!finished) {
            worker.interrupt();
            line = "FAIL " + name + ": did not finish within " + time.toSeconds() + " s (a library call did not return)";
            log("%s: stuck at%s", name, stack(worker));
        } else {
            Throwable t = unwrap(outcome.get());
            if (t == null && System.nanoTime() - t0 > time.toNanos() + TimeUnit.SECONDS.toNanos(2)) {
                line = "FAIL " + name + ": finished after its deadline";
            } else if (t == null) {
                line = "PASS " + name;
            } else if (t instanceof Skip) {
                line = "SKIP " + name + ": " + oneLine(t.getMessage());
            } else if (t instanceof Fail) {
                line = "FAIL " + name + ": " + oneLine(t.getMessage());
            } else {
                System.err.println("scenario " + name + " failed:");
                t.printStackTrace();
                line = "FAIL " + name + ": " + oneLine(t.getClass().getSimpleName() + ": " + t.getMessage());
            }
        }
        OUT.println(line);
        log("--- %s took %.1f s: %s", name, (System.nanoTime() - t0) / 1e9, line);
    }

    private static Throwable unwrap(Throwable t) {
        while ((t instanceof ExecutionException || t instanceof java.util.concurrent.CompletionException)
                && t.getCause() != null) {
            t = t.getCause();
        }
        return t;
    }

    private static String stack(Thread t) {
        StringBuilder b = new StringBuilder();
        for (StackTraceElement e : t.getStackTrace()) {
            b.append("\n    at ").append(e);
        }
        return b.toString();
    }

    /** Keeps a reason on its result line: run.py reads line by line. */
    static String oneLine(String s) {
        String flat = String.join(" ", String.valueOf(s).trim().split("\\s+"));
        return flat.length() > 500 ? flat.substring(0, 500) + "..." : flat;
    }

    static void check(boolean ok, String format, Object... args) throws Fail {
        if (!ok) {
            throw new Fail(String.format(format, args));
        }
    }

    static void sleep(long ms) {
        try {
            Thread.sleep(ms);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
