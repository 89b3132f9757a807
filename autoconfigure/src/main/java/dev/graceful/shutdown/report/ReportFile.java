package dev.graceful.shutdown.report;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Map;

import org.apache.commons.logging.Log;
import org.apache.commons.logging.LogFactory;
import org.jspecify.annotations.Nullable;

import dev.graceful.shutdown.ShutdownListener;
import dev.graceful.shutdown.ShutdownReport;

/**
 * Writes the report of each shutdown to {@code graceful.shutdown.report.file} as JSON,
 * readable by its owner only, and reads the previous run's report at startup so that the
 * Actuator endpoint can show what happened last time.
 */
public final class ReportFile implements ShutdownListener {

	private static final Log logger = LogFactory.getLog(ReportFile.class);

	private final Path path;

	private final @Nullable Map<String, Object> previous;

	public ReportFile(Path path) {
		this.path = path;
		this.previous = readPrevious(path);
	}

	private static @Nullable Map<String, Object> readPrevious(Path path) {
		if (!Files.isRegularFile(path)) {
			return null;
		}
		try {
			return ReportJson.read(Files.readString(path, StandardCharsets.UTF_8));
		}
		catch (IOException | RuntimeException ex) {
			logger.warn("Could not read the previous shutdown report from " + path + ": " + ex);
			return null;
		}
	}

	/**
	 * Return the report of the previous run, read at startup.
	 * @return the report as a map, or {@code null} if there was none
	 */
	public @Nullable Map<String, Object> previous() {
		return this.previous;
	}

	/**
	 * Return where reports are written.
	 * @return the file
	 */
	public Path path() {
		return this.path;
	}

	@Override
	public void shutdownCompleted(ShutdownReport report) {
		try {
			write(ReportJson.write(report));
			logger.info("Graceful shutdown: report written to " + this.path);
		}
		catch (IOException | RuntimeException ex) {
			logger.warn("Graceful shutdown: could not write the report to " + this.path + ": " + ex);
		}
	}

	private void write(String json) throws IOException {
		Path absolute = this.path.toAbsolutePath();
		Path directory = absolute.getParent();
		if (directory != null) {
			Files.createDirectories(directory);
		}
		// Written whole to a private temporary file, then moved: never half a report, never
		// readable by others even for a moment.
		Path temporary = (directory != null) ? Files.createTempFile(directory, ".shutdown-report", ".tmp")
				: Files.createTempFile(".shutdown-report", ".tmp");
		try {
			if (FileSystems.getDefault().supportedFileAttributeViews().contains("posix")) {
				Files.setPosixFilePermissions(temporary, PosixFilePermissions.fromString("rw-------"));
			}
			Files.writeString(temporary, json, StandardCharsets.UTF_8);
			Files.move(temporary, absolute, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
		}
		finally {
			Files.deleteIfExists(temporary);
		}
	}

}
