/*
 * Runs one of Kafka's command-line tools the way its bin/*.sh script does
 * (kafka-run-class.sh: `java -cp <libs>/* <main class> args`), from the jars
 * build.sh put beside klamm-interop.jar, and collects its exit code, stdout
 * and stderr. Each run is bounded in time and stopped by its own process
 * handle; whatever is still running when the program ends is stopped too.
 */
package klamm.interop;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;

final class Tool {
    /** The main classes behind Kafka 4.4's bin/ scripts; all five live in kafka-tools. */
    static final Map<String, String> MAIN = Map.of(
            "kafka-topics", "org.apache.kafka.tools.TopicCommand",
            "kafka-console-producer", "org.apache.kafka.tools.ConsoleProducer",
            "kafka-console-consumer", "org.apache.kafka.tools.consumer.ConsoleConsumer",
            "kafka-consumer-groups", "org.apache.kafka.tools.consumer.group.ConsumerGroupCommand",
            "kafka-configs", "org.apache.kafka.tools.ConfigCommand");

    /** What a tool run left behind. */
    record Result(String command, int exit, String stdout, String stderr) {
        List<String> lines() {
            List<String> out = new ArrayList<>();
            for (String l : stdout.split("\n")) {
                if (!l.isBlank()) {
                    out.add(l.stripTrailing());
                }
            }
            return out;
        }

        /** For failure messages: the exit code and the last lines of stderr. */
        String why() {
            String[] err = stderr.strip().split("\n");
            StringBuilder tail = new StringBuilder();
            for (int i = Math.max(0, err.length - 3); i < err.length; i++) {
                tail.append(err[i].strip()).append(i < err.length - 1 ? " | " : "");
            }
            return command + ": exit " + exit + (tail.length() > 0 ? ", stderr: " + tail : "");
        }
    }

    private static final Set<Process> RUNNING = ConcurrentHashMap.newKeySet();

    private final Path libs;
    private final String java;

    Tool() {
        try {
            Path jar = Path.of(Tool.class.getProtectionDomain().getCodeSource().getLocation().toURI());
            libs = jar.getParent().resolve("lib");
        } catch (URISyntaxException e) {
            throw new IllegalStateException(e);
        }
        if (!Files.isDirectory(libs)) {
            throw new IllegalStateException("no " + libs + ": run tests/interop/clients/java/build.sh");
        }
        java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
    }

    /** Runs `tool args`, feeding it `stdin` (then end of file), for at most `limit`. */
    Result run(String tool, List<String> args, String stdin, Duration limit) throws Exception {
        String main = MAIN.get(tool);
        if (main == null) {
            throw new IllegalArgumentException("unknown tool " + tool);
        }
        List<String> cmd = new ArrayList<>(List.of(java,
                // A tool runs for seconds: start fast rather than compile well.
                "-XX:TieredStopAtLevel=1", "-XX:+UseSerialGC", "-Xmx256m",
                // The tools log through slf4j; Kafka's scripts keep them at WARN on stderr too.
                "-Dorg.slf4j.simpleLogger.defaultLogLevel=warn",
                "-Dorg.slf4j.simpleLogger.logFile=System.err",
                "-cp", libs.resolve("*").toString(), main));
        cmd.addAll(args);
        String shown = tool + " " + String.join(" ", args);
        Harness.log("$ %s%s", shown, stdin == null ? "" : "  <<< " + stdin.replace("\n", "\\n"));
        long t0 = System.nanoTime();
        Process p = new ProcessBuilder(cmd).start();
        RUNNING.add(p);
        try {
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            ByteArrayOutputStream err = new ByteArrayOutputStream();
            Thread o = drain(p.getInputStream(), out);
            Thread e = drain(p.getErrorStream(), err);
            try (OutputStream in = p.getOutputStream()) {
                if (stdin != null) {
                    in.write(stdin.getBytes(StandardCharsets.UTF_8));
                }
            }
            if (!p.waitFor(limit.toMillis(), TimeUnit.MILLISECONDS)) {
                p.destroyForcibly();
                p.waitFor(5, TimeUnit.SECONDS);
                o.join(2000);
                e.join(2000);
                Result r = new Result(shown, -1, out.toString(StandardCharsets.UTF_8),
                        err.toString(StandardCharsets.UTF_8));
                logResult(r, t0);
                throw new Harness.Fail(shown + ": still running after " + limit.toSeconds() + " s, killed; stderr: "
                        + Harness.oneLine(r.stderr()));
            }
            o.join(5000);
            e.join(5000);
            Result r = new Result(shown, p.exitValue(), out.toString(StandardCharsets.UTF_8),
                    err.toString(StandardCharsets.UTF_8));
            logResult(r, t0);
            return r;
        } finally {
            RUNNING.remove(p);
            if (p.isAlive()) {
                p.destroyForcibly();
            }
        }
    }

    private static void logResult(Result r, long t0) {
        Harness.log("  exit %d after %.1f s", r.exit(), (System.nanoTime() - t0) / 1e9);
        for (String l : r.stdout().split("\n")) {
            if (!l.isBlank()) {
                System.err.println("  | " + l);
            }
        }
        for (String l : r.stderr().split("\n")) {
            if (!l.isBlank()) {
                System.err.println("  ! " + l);
            }
        }
    }

    private static Thread drain(InputStream from, ByteArrayOutputStream to) {
        Thread t = new Thread(() -> {
            try {
                from.transferTo(to);
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        });
        t.setDaemon(true);
        t.start();
        return t;
    }

    /** Stops every tool still running: called when the program ends. */
    static void stopAll() {
        for (Process p : RUNNING) {
            p.destroyForcibly();
        }
    }
}
