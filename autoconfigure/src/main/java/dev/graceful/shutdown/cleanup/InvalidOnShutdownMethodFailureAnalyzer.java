package dev.graceful.shutdown.cleanup;

import org.springframework.boot.diagnostics.AbstractFailureAnalyzer;
import org.springframework.boot.diagnostics.FailureAnalysis;

/**
 * Turns an {@link InvalidOnShutdownMethodException} into a startup failure report that
 * names the method and the fix.
 */
class InvalidOnShutdownMethodFailureAnalyzer extends AbstractFailureAnalyzer<InvalidOnShutdownMethodException> {

	@Override
	protected FailureAnalysis analyze(Throwable rootFailure, InvalidOnShutdownMethodException cause) {
		return new FailureAnalysis(cause.getMessage(), cause.getFix(), cause);
	}

}
