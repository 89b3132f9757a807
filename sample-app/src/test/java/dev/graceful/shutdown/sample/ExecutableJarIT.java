package dev.graceful.shutdown.sample;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.jar.JarFile;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * What the starter puts in the sample's executable jar, as Spring Boot's Maven plugin
 * packaged it: the auto-configuration's jar, and not the starter's own (classless) jar,
 * which every class or resource not found in the jars before it would otherwise be looked
 * up in at startup. Spring Boot's plugins leave a jar out when its manifest marks it as a
 * starter, as Spring Boot's own starters are marked.
 */
class ExecutableJarIT {

	private static final String STARTER = "graceful-shutdown-spring-boot-starter-";

	private static final String AUTOCONFIGURE = "graceful-shutdown-spring-boot-autoconfigure-";

	@Test
	void theStartersJarIsLeftOutAndTheAutoConfigurationIsIn() throws IOException {
		List<String> classPath = classPathIndex();
		assertThat(classPath).as("BOOT-INF/classpath.idx").isNotEmpty();
		assertThat(classPath).filteredOn((entry) -> entry.contains("/graceful-shutdown-"))
			.singleElement()
			.asString()
			.startsWith("BOOT-INF/lib/" + AUTOCONFIGURE);
		assertThat(classPath).noneMatch((entry) -> entry.contains(STARTER));
		// The plain Spring Boot starters the sample uses are left out the same way.
		assertThat(classPath).noneMatch((entry) -> entry.contains("/spring-boot-starter-"));
	}

	private static List<String> classPathIndex() throws IOException {
		try (JarFile jar = new JarFile(SampleAppProcess.sampleJar().toFile())) {
			var entry = jar.getJarEntry("BOOT-INF/classpath.idx");
			assertThat(entry).as("BOOT-INF/classpath.idx in %s", jar.getName()).isNotNull();
			try (InputStream in = jar.getInputStream(entry)) {
				return new String(in.readAllBytes(), StandardCharsets.UTF_8).lines()
					.map((line) -> line.replaceFirst("^- \"(.*)\"$", "$1"))
					.toList();
			}
		}
	}

}
