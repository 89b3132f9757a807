package dev.graceful.shutdown.actuate;

import java.util.LinkedHashSet;
import java.util.Set;

import org.springframework.boot.actuate.endpoint.Show;
import org.springframework.boot.context.properties.ConfigurationProperties;

/**
 * Configuration properties of the {@code gracefulshutdown} endpoint.
 */
@ConfigurationProperties("management.endpoint.gracefulshutdown")
public class GracefulShutdownEndpointProperties {

	/**
	 * When to show error messages, thread names and stack frames of cleanups and
	 * abandoned work.
	 */
	private Show showDetails = Show.WHEN_AUTHORIZED;

	/**
	 * Roles used to determine whether a user is authorized to see details. When empty,
	 * all authenticated users are authorized.
	 */
	private Set<String> roles = new LinkedHashSet<>();

	public Show getShowDetails() {
		return this.showDetails;
	}

	public void setShowDetails(Show showDetails) {
		this.showDetails = showDetails;
	}

	public Set<String> getRoles() {
		return this.roles;
	}

	public void setRoles(Set<String> roles) {
		this.roles = roles;
	}

}
