package dev.graceful.shutdown.actuate;

import java.util.List;
import java.util.Map;

import com.fasterxml.jackson.annotation.JsonInclude;
import tools.jackson.core.type.TypeReference;
import tools.jackson.databind.json.JsonMapper;

/**
 * Test support: what an endpoint's answer looks like as JSON, read back into maps and
 * lists, with the inclusion rule of Spring Boot's endpoint JSON mapper (no nulls).
 */
public final class EndpointJson {

	private static final JsonMapper MAPPER = JsonMapper.builder()
		.changeDefaultPropertyInclusion((inclusion) -> inclusion.withValueInclusion(JsonInclude.Include.NON_NULL)
			.withContentInclusion(JsonInclude.Include.NON_NULL))
		.build();

	private EndpointJson() {
	}

	/**
	 * Return an answer as a map, as its JSON reads.
	 * @param answer the endpoint's answer
	 * @return the map
	 */
	public static Map<String, Object> map(Object answer) {
		return MAPPER.convertValue(answer, new TypeReference<Map<String, Object>>() {
		});
	}

	/**
	 * Return a value of a map as a map.
	 * @param value the value
	 * @return the map
	 */
	@SuppressWarnings("unchecked")
	public static Map<String, Object> asMap(Object value) {
		return (Map<String, Object>) value;
	}

	/**
	 * Return a value of a map as a list of maps.
	 * @param value the value
	 * @return the list
	 */
	@SuppressWarnings("unchecked")
	public static List<Map<String, Object>> asList(Object value) {
		return (List<Map<String, Object>>) value;
	}

}
