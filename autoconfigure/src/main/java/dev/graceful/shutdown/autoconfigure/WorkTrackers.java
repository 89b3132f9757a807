package dev.graceful.shutdown.autoconfigure;

import org.jspecify.annotations.Nullable;

import org.springframework.beans.factory.ObjectProvider;

import dev.graceful.shutdown.WorkTracker;
import dev.graceful.shutdown.tasks.WorkRegistry;

/**
 * The starter's own {@link WorkTracker}, where the application's is the starter's: what
 * the tasks step, the diagnostics, the meters and the endpoint read the work from.
 */
final class WorkTrackers {

	private WorkTrackers() {
	}

	static @Nullable WorkRegistry registry(ObjectProvider<WorkTracker> workTracker) {
		return (workTracker.getIfAvailable() instanceof WorkRegistry registry) ? registry : null;
	}

}
