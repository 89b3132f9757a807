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

	private static final Pattern LOADED = Pattern.compile("\\[class,load\\s*\\] (\\S+) source:");

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
	 * Start the application in a child JVM that logs its class loading, and shut it down.
	 * @param directory where the log is written
	 * @param options further options of the child JVM
	 * @return the classes loaded before the application's marker class, and after it
	 */
	private static Loads startAndShutDown(Path directory, String... options) throws Exception {
		Path log = directory.resolve("classes.log");
		List<String> jvmOptions = new ArrayList<>(List.of("-Xlog:class+load=info:file=" + log));
		jvmOptions.addAll(List.of(options));
		String output = ChildJvm.run(StartupClassLoadingApplication.class, Duration.ofSeconds(120),
				jvmOptions.toArray(String[]::new));
		assertThat(output).contains("STARTED").contains("CLOSED");
		List<String> loaded = loaded(log);
		int started = loaded.indexOf(StartupClassLoadingApplication.Started.class.getName());
		assertThat(started).as("the marker class in the log").isPositive();
		return new Loads(loaded.subList(0, started), loaded.subList(started, loaded.size()));
	}

	private static List<String> loaded(Path log) throws IOException {
		return Files.readAllLines(log).stream().map(LOADED::matcher).filter(Matcher::find)
			.map((matcher) -> matcher.group(1)).toList();
	}

	private static List<String> starters(List<String> classes) {
		return classes.stream().filter((name) -> name.startsWith("dev.graceful.shutdown.")).toList();
	}

	private record Loads(List<String> atStartup, List<String> afterwards) {
	}

}
