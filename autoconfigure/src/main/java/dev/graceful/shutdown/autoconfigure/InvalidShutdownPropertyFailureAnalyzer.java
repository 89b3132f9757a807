package dev.graceful.shutdown.autoconfigure;

import org.springframework.boot.diagnostics.AbstractFailureAnalyzer;
import org.springframework.boot.diagnostics.FailureAnalysis;

/**
 * Turns an {@link InvalidShutdownPropertyException} into a startup failure report that
 * names the property and the fix.
 */
class InvalidShutdownPropertyFailureAnalyzer extends AbstractFailureAnalyzer<InvalidShutdownPropertyException> {

	@Override
	protected FailureAnalysis analyze(Throwable rootFailure, InvalidShutdownPropertyException cause) {
		return new FailureAnalysis(cause.getMessage(), cause.getFix(), cause);
	}

}
