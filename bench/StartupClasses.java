import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import jdk.jfr.consumer.RecordedClass;
import jdk.jfr.consumer.RecordedEvent;
import jdk.jfr.consumer.RecordedFrame;
import jdk.jfr.consumer.RecordedStackTrace;
import jdk.jfr.consumer.RecordingFile;

/**
 * Lists the classes of a package (by default the starter's) that a JFR recording saw loaded,
 * with what made the JVM load each: the Spring mechanism (a condition deducing a bean type,
 * reflection over a bean class's methods, ...) and the first frames outside the JDK. Then
 * counts them per cause. A class has the cause of its first load only: the bean classes a
 * condition loads would load when the beans are created anyway. Every class loaded from a jar costs a lookup that walks the class
 * path up to the jar (in the executable jar, every nested jar before it), so this is the
 * list to shorten. Lambdas are counted apart: they are spun, not looked up. The recording
 * needs {@code jdk.ClassLoad} events with stack traces. The bench application's own
 * classes ({@code <prefix>bench.}) are left out. JDK only.
 *
 * <pre>java bench/StartupClasses.java &lt;recording.jfr&gt; [package prefix] [frames]</pre>
 */
public final class StartupClasses {

	/** Causes, tried in order: the first whose frame is on the stack names the load. */
	private static final String[][] CAUSES = {
			{ "OnBeanCondition$Spec.deducedBeanType", "condition: bean type deduced from a @Bean method" },
			{ "FilteringSpringBootCondition", "condition: class check" },
			{ "ConfigurationClassUtils.checkConfigurationClassCandidate", "configuration candidate check" },
			{ "ConfigurationClassParser", "configuration class parsing" },
			{ "ConfigurationClassBeanDefinitionReader", "configuration class bean definitions" },
			{ "InitDestroyAnnotationBeanPostProcessor", "reflection over a bean class (@PostConstruct)" },
			{ "AutowiredAnnotationBeanPostProcessor", "reflection over a bean class (@Autowired)" },
			{ "CommonAnnotationBeanPostProcessor", "reflection over a bean class (@Resource)" },
			{ "getTypeForFactoryMethod", "bean type predicted from a factory method" },
			{ "ResolvableType.forMethodParameter", "injection point type" },
			{ "EndpointDiscoverer", "Actuator endpoint discovery" },
			{ "SpringFactoriesLoader", "spring.factories" },
			{ "EnvironmentPostProcessor", "environment post-processing" },
			{ "ApplicationListener", "application listener" } };

	private StartupClasses() {
	}

	public static void main(String[] args) throws IOException {
		if (args.length < 1) {
			System.err.println("usage: java bench/StartupClasses.java <recording.jfr> [package prefix] [frames]");
			System.exit(2);
		}
		String prefix = (args.length > 1) ? args[1] : "dev.graceful.shutdown.";
		int frames = (args.length > 2) ? Integer.parseInt(args[2]) : 3;
		Map<String, Integer> perCause = new LinkedHashMap<>();
		List<String> lines = new ArrayList<>();
		int lambdas = 0;
		for (RecordedEvent event : RecordingFile.readAllEvents(Path.of(args[0]))) {
			if (!event.getEventType().getName().equals("jdk.ClassLoad")) {
				continue;
			}
			RecordedClass loaded = event.getValue("loadedClass");
			if (loaded == null || !loaded.getName().startsWith(prefix)
					|| loaded.getName().startsWith(prefix + "bench.")) {
				continue;
			}
			if (loaded.getName().contains("$$Lambda") || loaded.getName().contains("$Proxy")) {
				lambdas++;
				continue;
			}
			String cause = cause(event.getStackTrace());
			perCause.merge(cause, 1, Integer::sum);
			lines.add(String.format("%-70s %-48s %s", loaded.getName().substring(prefix.length()), cause,
					firstFrames(event.getStackTrace(), frames)));
		}
		lines.forEach(System.out::println);
		System.out.println();
		System.out.printf("%d classes of %s loaded (and %d lambdas and proxies, not looked up), by cause:%n",
				lines.size(), prefix, lambdas);
		perCause.entrySet()
			.stream()
			.sorted(Map.Entry.<String, Integer>comparingByValue().reversed())
			.forEach((entry) -> System.out.printf("%5d  %s%n", entry.getValue(), entry.getKey()));
	}

	private static String cause(RecordedStackTrace stack) {
		if (stack == null) {
			return "unknown (no stack)";
		}
		List<String> methods = stack.getFrames()
			.stream()
			.map((frame) -> frame.getMethod().getType().getName() + "." + frame.getMethod().getName())
			.toList();
		for (String[] cause : CAUSES) {
			if (methods.stream().anyMatch((method) -> method.contains(cause[0]))) {
				return cause[1];
			}
		}
		return methods.stream().anyMatch((method) -> method.startsWith("dev.graceful.")) ? "the starter's own code"
				: "other";
	}

	private static String firstFrames(RecordedStackTrace stack, int count) {
		if (stack == null) {
			return "";
		}
		StringBuilder frames = new StringBuilder();
		int found = 0;
		for (RecordedFrame frame : stack.getFrames()) {
			String type = frame.getMethod().getType().getName();
			if (type.startsWith("java.") || type.startsWith("jdk.") || type.startsWith("sun.")
					|| type.startsWith("org.springframework.boot.loader.")) {
				continue;
			}
			if (found++ == count) {
				break;
			}
			frames.append((found > 1) ? " < " : "")
				.append(type.substring(type.lastIndexOf('.') + 1))
				.append('.')
				.append(frame.getMethod().getName());
		}
		return frames.toString();
	}

}
