package dev.graceful.shutdown.autoconfigure;

/**
 * Thrown at startup when a {@code graceful.shutdown.*} property has a value that cannot
 * work. Reported by {@link InvalidShutdownPropertyFailureAnalyzer}.
 */
public class InvalidShutdownPropertyException extends IllegalStateException {

	private final String property;

	private final String fix;

	InvalidShutdownPropertyException(String property, String problem, String fix) {
		super("Invalid value for '" + property + "': " + problem);
		this.property = property;
		this.fix = fix;
	}

	/**
	 * Create one, typed as its superclass: the JVM verifies a class that throws it this
	 * way without loading this one, so a startup whose settings are valid never loads it.
	 * @param property the offending property
	 * @param problem what is wrong with its value
	 * @param fix what the user should do about it
	 * @return the exception
	 */
	static IllegalStateException of(String property, String problem, String fix) {
		return new InvalidShutdownPropertyException(property, problem, fix);
	}

	/**
	 * Return the name of the offending property.
	 * @return the property name
	 */
	public String getProperty() {
		return this.property;
	}

	/**
	 * Return what the user should do about it.
	 * @return the fix
	 */
	public String getFix() {
		return this.fix;
	}

}
