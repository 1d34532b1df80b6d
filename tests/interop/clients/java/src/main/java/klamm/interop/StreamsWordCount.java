/*
 * A Kafka Streams 4.4.0 word count (at-least-once) run against the broker as
 * two scenarios, the way an application is deployed and redeployed:
 *
 *   wordcount         lines into <prefix>-wc-input are counted per word into
 *                     <prefix>-wc-output; the application is then closed.
 *   wordcount-resume  more lines are written while it is down; a new instance
 *                     with an empty state directory restores the counts from
 *                     the changelog, resumes from the committed offsets, and
 *                     the final counts are exactly right: too low means state
 *                     was lost, too high means input was counted twice.
 *
 * Streams drives much of the broker that plain clients do not: it creates its
 * repartition and changelog topics through CreateTopics (replication factor
 * -1, i.e. the broker's default, with topic configs), joins its group with
 * its own assignor, restores a store with a group-less consumer, and commits
 * through its consumer. The in-memory store makes every restart restore from
 * the changelog.
 *
 * Usage: java -cp klamm-interop.jar klamm.interop.StreamsWordCount <bootstrap> <prefix>
 */
package klamm.interop;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.stream.Collectors;
import java.util.stream.Stream;

import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.Config;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.admin.TopicDescription;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.config.ConfigResource;
import org.apache.kafka.common.serialization.LongDeserializer;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.apache.kafka.common.utils.Bytes;
import org.apache.kafka.streams.CloseOptions;
import org.apache.kafka.streams.KafkaStreams;
import org.apache.kafka.streams.StreamsBuilder;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.kstream.Grouped;
import org.apache.kafka.streams.kstream.KStream;
import org.apache.kafka.streams.kstream.Materialized;
import org.apache.kafka.streams.kstream.Produced;
import org.apache.kafka.streams.processor.StateRestoreListener;
import org.apache.kafka.streams.state.KeyValueStore;
import org.apache.kafka.streams.state.Stores;

import klamm.interop.Harness.Deadline;

public final class StreamsWordCount {
    private static final String[] WORDS = {"kafka", "klamm", "stream", "event", "log", "topic", "offset",
        "broker", "partition", "record", "group", "commit", "fetch"};
    private static final Duration SETTLE = Duration.ofSeconds(2);

    private final String bootstrap;
    private final String app;
    private final String input;
    private final String output;
    /** The counts both runs together must end at; the first run's alone. */
    private final Map<String, Long> afterFirst;
    private final Map<String, Long> afterSecond;
    private final List<String> firstLines;
    private final List<String> secondLines;
    private Path stateRoot;
    private boolean firstRunPassed;

    private StreamsWordCount(String bootstrap, String prefix) {
        this.bootstrap = bootstrap;
        this.app = prefix + "-wordcount";
        this.input = prefix + "-wc-input";
        this.output = prefix + "-wc-output";
        firstLines = lines(0, 200);
        secondLines = lines(200, 300);
        afterFirst = count(firstLines, new TreeMap<>());
        afterSecond = count(secondLines, new TreeMap<>(afterFirst));
    }

    public static void main(String[] argv) throws IOException {
        String[] args = Harness.start("java-streams", argv);
        Harness.version("kafka-streams", Harness.jarVersion(KafkaStreams.class, "kafka/kafka-streams-version.properties"));
        StreamsWordCount w = new StreamsWordCount(args[0], args[1]);
        w.stateRoot = Files.createTempDirectory("klamm-interop-streams-");
        new Harness(Duration.ofSeconds(75), Duration.ofSeconds(170))
                .atEnd(w::removeState)
                .add("wordcount", w::firstRun)
                .add("wordcount-resume", w::secondRun)
                .runAndExit();
    }

    /** Line i: between one and five words, mixed case so that the app's lower-casing matters. */
    static List<String> lines(int from, int to) {
        List<String> out = new ArrayList<>();
        for (int i = from; i < to; i++) {
            StringBuilder b = new StringBuilder();
            for (int j = 0; j <= i % 5; j++) {
                String w = WORDS[(i * 7 + j * 3) % WORDS.length];
                b.append(j == 0 ? "" : (j % 2 == 0 ? "  " : " ")).append(j % 2 == 1 ? w.toUpperCase(Locale.ROOT) : w);
            }
            out.add(b.toString());
        }
        return out;
    }

    static Map<String, Long> count(List<String> lines, Map<String, Long> into) {
        for (String line : lines) {
            for (String w : line.toLowerCase(Locale.ROOT).split("\\W+")) {
                if (!w.isEmpty()) {
                    into.merge(w, 1L, Long::sum);
                }
            }
        }
        return into;
    }

    // ------------------------------------------------------------ the application

    private KafkaStreams application(Path stateDir, AtomicLong restored) {
        StreamsBuilder builder = new StreamsBuilder();
        KStream<String, String> text = builder.stream(input);
        text.flatMapValues(line -> List.of(line.toLowerCase(Locale.ROOT).split("\\W+")))
                .filter((k, w) -> !w.isEmpty())
                .groupBy((k, w) -> w, Grouped.as("words"))
                .count(Materialized.<String, Long>as(Stores.inMemoryKeyValueStore("counts"))
                        .withKeySerde(Serdes.String()).withValueSerde(Serdes.Long()))
                .toStream()
                .to(output, Produced.with(Serdes.String(), Serdes.Long()));
        Properties p = new Properties();
        p.put(StreamsConfig.APPLICATION_ID_CONFIG, app);
        p.put(StreamsConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
        p.put(StreamsConfig.PROCESSING_GUARANTEE_CONFIG, StreamsConfig.AT_LEAST_ONCE);
        p.put(StreamsConfig.DEFAULT_KEY_SERDE_CLASS_CONFIG, Serdes.StringSerde.class);
        p.put(StreamsConfig.DEFAULT_VALUE_SERDE_CLASS_CONFIG, Serdes.StringSerde.class);
        p.put(StreamsConfig.STATE_DIR_CONFIG, stateDir.toString());
        p.put(StreamsConfig.COMMIT_INTERVAL_MS_CONFIG, "500");
        p.put(StreamsConfig.NUM_STREAM_THREADS_CONFIG, "1");
        p.put(StreamsConfig.REQUEST_TIMEOUT_MS_CONFIG, "10000");
        p.put(StreamsConfig.consumerPrefix(ConsumerConfig.SESSION_TIMEOUT_MS_CONFIG), "10000");
        p.put(StreamsConfig.consumerPrefix(ConsumerConfig.HEARTBEAT_INTERVAL_MS_CONFIG), "1000");
        KafkaStreams streams = new KafkaStreams(builder.build(), p);
        streams.setGlobalStateRestoreListener(new StateRestoreListener() {
            @Override
            public void onRestoreStart(TopicPartition tp, String store, long start, long end) {
                Harness.log("restoring %s from %s offsets %d..%d", store, tp, start, end);
            }

            @Override
            public void onBatchRestored(TopicPartition tp, String store, long end, long n) {
                restored.addAndGet(n);
            }

            @Override
            public void onRestoreEnd(TopicPartition tp, String store, long n) {
                Harness.log("restored %d records of %s from %s", n, store, tp);
            }
        });
        return streams;
    }

    /** Runs the application until the output's latest counts are `want`, then closes it. */
    private void runUntil(Map<String, Long> want, Path stateDir, AtomicLong restored, Deadline d) throws Exception {
        KafkaStreams streams = application(stateDir, restored);
        AtomicReference<Throwable> died = new AtomicReference<>();
        streams.setUncaughtExceptionHandler(e -> {
            died.set(e);
            return org.apache.kafka.streams.errors.StreamsUncaughtExceptionHandler.StreamThreadExceptionResponse
                    .SHUTDOWN_CLIENT;
        });
        streams.setStateListener((now, before) -> Harness.log("streams %s -> %s", before, now));
        streams.start();
        try (KafkaConsumer<String, Long> out = outputReader()) {
            Map<String, Long> latest = new TreeMap<>();
            Deadline settle = null;
            while (settle == null || !settle.passed()) {
                if (died.get() != null) {
                    throw new Harness.Fail("the application died: " + died.get());
                }
                if (d.passed()) {
                    throw new Harness.Fail("output counts " + diff(latest, want) + " before the deadline (state "
                            + streams.state() + ")");
                }
                for (ConsumerRecord<String, Long> r : out.poll(Duration.ofMillis(200))) {
                    latest.put(r.key(), r.value());
                    Long bound = want.get(r.key());
                    Harness.check(bound != null && r.value() <= bound,
                            "%s counted %d at %s-%d@%d, but it occurs %s times: input counted twice", r.key(),
                            r.value(), r.topic(), r.partition(), r.offset(), bound);
                }
                if (settle == null && latest.equals(want)) {
                    settle = d.within(SETTLE);
                }
            }
            Harness.check(latest.equals(want), "output counts %s after settling", diff(latest, want));
        } finally {
            Harness.log("closing the application");
            boolean closed = streams.close(CloseOptions.groupMembershipOperation(
                    CloseOptions.GroupMembershipOperation.LEAVE_GROUP).withTimeout(Duration.ofSeconds(15)));
            Harness.check(closed, "the application did not close within 15 s");
        }
    }

    private static String diff(Map<String, Long> got, Map<String, Long> want) {
        List<String> out = new ArrayList<>();
        for (String w : want.keySet()) {
            if (!want.get(w).equals(got.get(w))) {
                out.add(w + "=" + got.get(w) + " (want " + want.get(w) + ")");
            }
        }
        got.keySet().stream().filter(w -> !want.containsKey(w)).forEach(w -> out.add(w + "=" + got.get(w) + " (unexpected)"));
        return out.isEmpty() ? "right" : out.size() + " wrong: " + String.join(", ", out.subList(0, Math.min(4, out.size())));
    }

    // ------------------------------------------------------------ scenarios

    void firstRun(Deadline d) throws Exception {
        try (Admin a = admin()) {
            a.createTopics(List.of(new NewTopic(input, 3, (short) 1), new NewTopic(output, 3, (short) 1))).all()
                    .get(d.leftMs(), TimeUnit.MILLISECONDS);
        }
        produceLines(firstLines, d);
        AtomicLong restored = new AtomicLong();
        runUntil(afterFirst, stateRoot.resolve("first"), restored, d);
        try (Admin a = admin()) {
            checkInternalTopics(a, d);
            checkCommitted(a, firstLines.size(), d);
        }
        firstRunPassed = true;
    }

    void secondRun(Deadline d) throws Exception {
        Harness.check(firstRunPassed, "not run: it resumes what wordcount left, and wordcount failed");
        produceLines(secondLines, d);
        AtomicLong restored = new AtomicLong();
        runUntil(afterSecond, stateRoot.resolve("second"), restored, d);
        Harness.check(restored.get() >= afterFirst.size(),
                "restored %d records from the changelog, expected at least one per word (%d)", restored.get(),
                afterFirst.size());
        try (Admin a = admin()) {
            checkCommitted(a, firstLines.size() + secondLines.size(), d);
        }
    }

    /** Streams made its repartition and changelog topics, with the configs it asked for. */
    private void checkInternalTopics(Admin a, Deadline d) throws Exception {
        String repartition = app + "-words-repartition";
        String changelog = app + "-counts-changelog";
        Set<String> names = a.listTopics().names().get(d.leftMs(), TimeUnit.MILLISECONDS);
        Harness.check(names.contains(repartition) && names.contains(changelog),
                "internal topics missing: have %s", names.stream().filter(n -> n.startsWith(app)).collect(Collectors.toList()));
        Map<String, TopicDescription> described = a.describeTopics(List.of(repartition, changelog)).allTopicNames()
                .get(d.leftMs(), TimeUnit.MILLISECONDS);
        for (TopicDescription t : described.values()) {
            Harness.check(t.partitions().size() == 3, "%s has %d partitions, expected 3 (as the input)", t.name(),
                    t.partitions().size());
        }
        ConfigResource cl = new ConfigResource(ConfigResource.Type.TOPIC, changelog);
        ConfigResource rp = new ConfigResource(ConfigResource.Type.TOPIC, repartition);
        Map<ConfigResource, Config> configs = a.describeConfigs(List.of(cl, rp)).all()
                .get(d.leftMs(), TimeUnit.MILLISECONDS);
        Harness.check("compact".equals(configs.get(cl).get("cleanup.policy").value()),
                "changelog cleanup.policy is %s, expected compact", configs.get(cl).get("cleanup.policy").value());
        Harness.check("delete".equals(configs.get(rp).get("cleanup.policy").value())
                && "-1".equals(configs.get(rp).get("retention.ms").value()),
                "repartition topic has cleanup.policy %s, retention.ms %s; expected delete, -1",
                configs.get(rp).get("cleanup.policy").value(), configs.get(rp).get("retention.ms").value());
    }

    /** The application's group committed the input up to its end. */
    private void checkCommitted(Admin a, int inputRecords, Deadline d) throws Exception {
        Map<TopicPartition, OffsetAndMetadata> offsets = a.listConsumerGroupOffsets(app)
                .partitionsToOffsetAndMetadata().get(d.leftMs(), TimeUnit.MILLISECONDS);
        long onInput = offsets.entrySet().stream().filter(e -> e.getKey().topic().equals(input))
                .mapToLong(e -> e.getValue().offset()).sum();
        Harness.check(onInput == inputRecords, "the group committed %d of %d input records: %s", onInput,
                inputRecords, offsets);
    }

    // ------------------------------------------------------------ plain clients around it

    private Admin admin() {
        Properties p = new Properties();
        p.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
        p.put(AdminClientConfig.REQUEST_TIMEOUT_MS_CONFIG, "10000");
        p.put(AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, "20000");
        return Admin.create(p);
    }

    private void produceLines(List<String> lines, Deadline d) throws Exception {
        Properties p = new Properties();
        p.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
        p.put(ProducerConfig.ACKS_CONFIG, "all");
        p.put(ProducerConfig.DELIVERY_TIMEOUT_MS_CONFIG, "20000");
        p.put(ProducerConfig.REQUEST_TIMEOUT_MS_CONFIG, "10000");
        p.put(ProducerConfig.MAX_BLOCK_MS_CONFIG, "15000");
        try (KafkaProducer<String, String> producer = new KafkaProducer<>(p, new StringSerializer(),
                new StringSerializer())) {
            List<java.util.concurrent.Future<?>> acks = new ArrayList<>();
            for (String line : lines) {
                acks.add(producer.send(new ProducerRecord<>(input, line)));
            }
            producer.flush();
            for (java.util.concurrent.Future<?> ack : acks) {
                ack.get(d.leftMs(), TimeUnit.MILLISECONDS);
            }
        }
    }

    /** Reads the output topic from the beginning, without a group. */
    private KafkaConsumer<String, Long> outputReader() {
        Properties p = new Properties();
        p.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
        p.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
        p.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "false");
        KafkaConsumer<String, Long> c = new KafkaConsumer<>(p, new StringDeserializer(), new LongDeserializer());
        List<TopicPartition> parts = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            parts.add(new TopicPartition(output, i));
        }
        c.assign(parts);
        c.seekToBeginning(parts);
        return c;
    }

    private void removeState() {
        if (stateRoot == null) {
            return;
        }
        try (Stream<Path> walk = Files.walk(stateRoot)) {
            for (Path path : walk.sorted(Comparator.reverseOrder()).collect(Collectors.toList())) {
                Files.deleteIfExists(path);
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
