package dev.graceful.shutdown.autoconfigure;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import dev.graceful.shutdown.testsupport.ChildJvm;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The starter's classes that only the shutdown or a failure needs are not loaded at
 * startup: each class the startup loads costs it the class path lookups of the class
 * (see bench/README.md's startup overhead). A child JVM logs its class
 * loading while {@link StartupClassLoadingApplication} starts, then shuts down; the log
 * before the application's marker class is the startup's. The same log after the marker
 * shows the shutdown loading what the startup did not, so the harness does see a load.
 */
class StartupClassLoadingTests {

	/**
	 * A class load and the id of the thread that loaded it. The JVM pads each decoration
	 * to the widest it has written: once a thread id with more digits has appeared, the
	 * shorter ones end with spaces.
	 */
	private static final Pattern LOADED = Pattern.compile("\\[(\\d+)\\s*\\]\\[class,load\\s*\\] (\\S+) source:");

	/**
	 * Needed by the shutdown only, or by a failure, or (the streams' listener) by a
	 * feature this application does not use.
	 */
	private static final List<String> NOT_AT_STARTUP = List.of("dev.graceful.shutdown.StreamHandOffListener",
			"dev.graceful.shutdown.participant.ParticipantDrain",
			"dev.graceful.shutdown.participant.ParticipantDrain$State",
			"dev.graceful.shutdown.participant.ParticipantRunner$Status",
			"dev.graceful.shutdown.tasks.WorkRegistry$TrackedWork",
			"dev.graceful.shutdown.timeline.ShutdownRecording",
			"dev.graceful.shutdown.ShutdownReport$Outcome",
			"dev.graceful.shutdown.ShutdownReport$Counts",
			"dev.graceful.shutdown.ShutdownReport$Requests",
			"dev.graceful.shutdown.ShutdownReport$Tasks",
			"dev.graceful.shutdown.cleanup.CleanupRegistry$Registration",
			"dev.graceful.shutdown.autoconfigure.InvalidShutdownPropertyException",
			"dev.graceful.shutdown.cleanup.InvalidOnShutdownMethodException");

	/**
	 * Loaded by the main thread before the background preinitialization can run: the
	 * installer and the watchdog it installs as the environment is prepared (it binds its
	 * keys without the properties' classes), the preloader and what it is told, and this
	 * test's application.
	 */
	private static final List<String> BEFORE_PRELOADING = List.of(
			"dev.graceful.shutdown.autoconfigure.StartupClassLoadingApplication",
			"dev.graceful.shutdown.autoconfigure.StartupClassLoadingApplication$AwaitPreinitialization",
			"dev.graceful.shutdown.autoconfigure.StartupClassLoadingApplication$Application",
			"dev.graceful.shutdown.autoconfigure.WatchdogInstaller", "dev.graceful.shutdown.timeline.ShutdownBudget",
			"dev.graceful.shutdown.watchdog.ShutdownWatchdog", "dev.graceful.shutdown.autoconfigure.StartupPreloader",
			"dev.graceful.shutdown.autoconfigure.StartupPreloader$Facts");

	/**
	 * The integrations (messaging, service discovery) on this test's class path: their
	 * auto-configurations' conditions decide their parts, and the preloading leaves them
	 * to the main thread. With them the participant type that only the Kafka integration's
	 * participant implements, loaded as that class is.
	 */
	private static final Pattern INTEGRATION = Pattern.compile("dev\\.graceful\\.shutdown\\.(messaging|discovery)\\..*"
			+ "|dev\\.graceful\\.shutdown\\.autoconfigure\\."
			+ "GracefulShutdown(Kafka|Rabbit|Jms|Discovery)AutoConfiguration"
			+ "|dev\\.graceful\\.shutdown\\.participant\\.ImmediateStop");

	/** Some of the parts' classes that the background preinitialization loads. */
	private static final List<String> PRELOADED_PARTS = List.of(
			"dev.graceful.shutdown.autoconfigure.GracefulShutdownProperties",
			"dev.graceful.shutdown.autoconfigure.ShutdownCoreRegistrar",
			"dev.graceful.shutdown.participant.ParticipantRunner", "dev.graceful.shutdown.web.DrainMonitor",
			"dev.graceful.shutdown.streams.StreamHandOff");

	@Test
	void startupLoadsNoClassThatOnlyTheShutdownOrAFailureNeeds(@TempDir Path directory) throws Exception {
		Loads loads = startAndShutDown(directory);
		List<String> atStartup = starters(loads.atStartup());
		List<String> afterwards = starters(loads.afterwards());
		assertThat(atStartup).as("the starter's classes the startup loaded")
			.contains("dev.graceful.shutdown.participant.ParticipantRunner",
					"dev.graceful.shutdown.streams.StreamHandOff");
		assertThat(atStartup.stream().filter(NOT_AT_STARTUP::contains))
			.as("classes the startup loaded that only the shutdown or a failure needs")
			.isEmpty();
		// The streams' hand-off is a participant: the shutdown creates its drain.
		assertThat(afterwards).as("the starter's classes the shutdown loaded")
			.contains("dev.graceful.shutdown.participant.ParticipantDrain",
					"dev.graceful.shutdown.participant.ParticipantDrain$State",
					"dev.graceful.shutdown.timeline.ShutdownRecording",
					"dev.graceful.shutdown.ShutdownReport$Outcome");
	}

	/**
	 * On Reactor Netty, without service discovery: the starter's default for Reactor
	 * Netty's quiet period is bound without Spring Boot's duration parser, which the
	 * application loads for nothing else, and the plan line does not load the discovery
	 * types to find that there is no discovery.
	 */
	@Test
	void reactiveStartupWithoutDiscoveryLoadsNeitherTheDurationParserNorTheDiscoveryTypes(@TempDir Path directory)
			throws Exception {
		Loads loads = startAndShutDown(directory, "-Dstartup.web=REACTIVE",
				"-Dgraceful.shutdown.discovery.enabled=false");
		assertThat(loads.atStartup()).as("classes the startup loaded")
			.contains("dev.graceful.shutdown.web.reactive.NettyRequestTracking",
					"dev.graceful.shutdown.autoconfigure.ShutdownPlanLogger")
			.doesNotContain("org.springframework.boot.convert.DurationStyle",
					"dev.graceful.shutdown.discovery.DiscoveryPropagation")
			.doesNotContainAnyElementsOf(NOT_AT_STARTUP);
	}

	/**
	 * With a processor to spare, Spring Boot's background preinitialization loads the
	 * classes of the parts ahead of the main thread, which then loads only those it needs
	 * before that thread can run; and the preinitialization loads no class the same
	 * application does not load without it. The control: without it, the main thread
	 * loads the parts' classes itself.
	 */
	@ParameterizedTest
	@ValueSource(strings = { "SERVLET", "REACTIVE" })
	void backgroundPreinitializationLoadsThePartsClassesAndNoOther(String web, @TempDir Path directory)
			throws Exception {
		Loads alone = startAndShutDown(directory.resolve("alone"), "-Dstartup.web=" + web,
				"-Dspring.backgroundpreinitializer.ignore=true");
		Loads preloaded = startAndShutDown(directory.resolve("preloaded"), "-Dstartup.web=" + web,
				"-XX:ActiveProcessorCount=2", "-Dstartup.await-preinit=true");
		List<String> loadedAlone = starters(alone.atStartup());
		assertThat(starters(alone.onMainThread())).as("the starter's classes the main thread loaded alone")
			.containsAll(PRELOADED_PARTS);
		List<String> inBackground = starters(preloaded.elsewhere());
		assertThat(inBackground).as("the starter's classes loaded in the background")
			.containsAll(PRELOADED_PARTS)
			.allMatch(loadedAlone::contains, "loaded by the application without preloading");
		assertThat(named(starters(preloaded.onMainThread())).stream()
			.filter((name) -> !INTEGRATION.matcher(name).matches()))
			.as("the starter's classes but the integrations' that the main thread loaded")
			.containsExactlyInAnyOrderElementsOf(BEFORE_PRELOADING);
	}

	/**
	 * Start the application in a child JVM that logs its class loading, and shut it down.
	 * @param directory where the log is written
	 * @param options further options of the child JVM
	 * @return the classes loaded before the application's marker class, and after it
	 */
	private static Loads startAndShutDown(Path directory, String... options) throws Exception {
		Files.createDirectories(directory);
		Path log = directory.resolve("classes.log");
		List<String> jvmOptions = new ArrayList<>(List.of("-Xlog:class+load=info:file=" + log + ":tid,tags"));
		jvmOptions.addAll(List.of(options));
		String output = ChildJvm.run(StartupClassLoadingApplication.class, Duration.ofSeconds(120),
				jvmOptions.toArray(String[]::new));
		assertThat(output).contains("STARTED").contains("CLOSED");
		List<Load> loaded = loaded(log);
		List<String> names = loaded.stream().map(Load::name).toList();
		int started = names.indexOf(StartupClassLoadingApplication.Started.class.getName());
		assertThat(started).as("the marker class in the log").isPositive();
		String main = loaded.get(names.indexOf(StartupClassLoadingApplication.class.getName())).thread();
		return new Loads(loaded.subList(0, started), loaded.subList(started, loaded.size()), main);
	}

	private static List<Load> loaded(Path log) throws IOException {
		return Files.readAllLines(log).stream().map(LOADED::matcher).filter(Matcher::find)
			.map((matcher) -> new Load(matcher.group(1), matcher.group(2))).toList();
	}

	private static List<String> starters(List<String> classes) {
		return classes.stream().filter((name) -> name.startsWith("dev.graceful.shutdown.")).toList();
	}

	/** Without the classes spun for lambdas, which are not looked up by name. */
	private static List<String> named(List<String> classes) {
		return classes.stream().filter((name) -> !name.contains("$$Lambda")).toList();
	}

	private record Load(String thread, String name) {
	}

	/**
	 * The classes loaded before the marker, and after it.
	 * @param before the classes loaded before it, by any thread
	 * @param after the classes loaded after it
	 * @param main the main thread's id in the log
	 */
	private record Loads(List<Load> before, List<Load> after, String main) {

		List<String> atStartup() {
			return this.before.stream().map(Load::name).toList();
		}

		List<String> afterwards() {
			return this.after.stream().map(Load::name).toList();
		}

		List<String> onMainThread() {
			return this.before.stream().filter((load) -> load.thread().equals(this.main)).map(Load::name).toList();
		}

		List<String> elsewhere() {
			return this.before.stream().filter((load) -> !load.thread().equals(this.main)).map(Load::name).toList();
		}

	}

}
