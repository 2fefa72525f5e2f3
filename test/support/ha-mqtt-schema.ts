// The shape Home Assistant's MQTT integration documents for discovery configs
// of the entity types the door announces: which keys each one requires, which
// it knows at all, their value types and the allowed device classes. Written
// from the Home Assistant documentation (integrations event.mqtt, button.mqtt,
// lock.mqtt, sensor.mqtt, binary_sensor.mqtt, switch.mqtt and the MQTT
// discovery page); unknown keys fail, as a typo there silently does nothing.
import { z } from 'zod';

const str = () => z.string().min(1);
const qos = () => z.union([z.literal(0), z.literal(1), z.literal(2)]);

const device = z.strictObject({
  identifiers: z.union([str(), z.array(str()).min(1)]),
  connections: z.array(z.tuple([str(), str()])).optional(),
  name: str().optional(),
  manufacturer: str().optional(),
  model: str().optional(),
  model_id: str().optional(),
  sw_version: str().optional(),
  hw_version: str().optional(),
  serial_number: str().optional(),
  suggested_area: str().optional(),
  via_device: str().optional(),
  configuration_url: str().optional(),
});

/** Keys every MQTT entity accepts. */
const common = {
  availability: z.array(z.strictObject({ topic: str(), payload_available: str().optional(), payload_not_available: str().optional(), value_template: str().optional() })).optional(),
  availability_mode: z.enum(['all', 'any', 'latest']).optional(),
  availability_template: str().optional(),
  availability_topic: str().optional(),
  payload_available: str().optional(),
  payload_not_available: str().optional(),
  device: device.optional(),
  enabled_by_default: z.boolean().optional(),
  encoding: z.string().optional(),
  entity_category: z.enum(['config', 'diagnostic']).optional(),
  entity_picture: str().optional(),
  icon: str().optional(),
  json_attributes_template: str().optional(),
  json_attributes_topic: str().optional(),
  name: z.union([str(), z.null()]).optional(),
  default_entity_id: str().optional(),
  object_id: str().optional(),
  origin: z.strictObject({ name: str(), sw_version: str().optional(), support_url: str().optional() }).optional(),
  qos: qos().optional(),
  unique_id: str().optional(),
};

const BINARY_SENSOR_CLASSES = [
  'battery', 'battery_charging', 'carbon_monoxide', 'cold', 'connectivity', 'door', 'garage_door', 'gas', 'heat', 'light',
  'lock', 'moisture', 'motion', 'moving', 'occupancy', 'opening', 'plug', 'power', 'presence', 'problem', 'running',
  'safety', 'smoke', 'sound', 'tamper', 'update', 'vibration', 'window',
] as const;

const SENSOR_CLASSES = [
  'absolute_humidity', 'apparent_power', 'aqi', 'area', 'atmospheric_pressure', 'battery', 'blood_glucose_concentration',
  'carbon_dioxide', 'carbon_monoxide', 'current', 'data_rate', 'data_size', 'date', 'distance', 'duration', 'energy',
  'energy_distance', 'energy_storage', 'enum', 'frequency', 'gas', 'humidity', 'illuminance', 'irradiance', 'moisture',
  'monetary', 'nitrogen_dioxide', 'nitrogen_monoxide', 'nitrous_oxide', 'ozone', 'ph', 'pm1', 'pm10', 'pm25',
  'power_factor', 'power', 'precipitation', 'precipitation_intensity', 'pressure', 'reactive_power', 'signal_strength',
  'sound_pressure', 'speed', 'sulphur_dioxide', 'temperature', 'timestamp', 'volatile_organic_compounds',
  'volatile_organic_compounds_parts', 'voltage', 'volume', 'volume_flow_rate', 'volume_storage', 'water', 'weight',
  'wind_direction', 'wind_speed',
] as const;

export const HA_COMPONENT_SCHEMAS = {
  event: z.strictObject({
    ...common,
    state_topic: str(),
    event_types: z.array(str()).min(1),
    device_class: z.enum(['button', 'doorbell', 'motion']).optional(),
    value_template: str().optional(),
  }),
  button: z.strictObject({
    ...common,
    command_topic: str(),
    command_template: str().optional(),
    payload_press: z.string().optional(),
    retain: z.boolean().optional(),
    device_class: z.enum(['identify', 'restart', 'update']).optional(),
  }),
  lock: z.strictObject({
    ...common,
    command_topic: str(),
    command_template: str().optional(),
    code_format: str().optional(),
    optimistic: z.boolean().optional(),
    payload_lock: z.string().optional(),
    payload_unlock: z.string().optional(),
    payload_open: z.string().optional(),
    payload_reset: z.string().optional(),
    retain: z.boolean().optional(),
    state_jammed: z.string().optional(),
    state_locked: z.string().optional(),
    state_locking: z.string().optional(),
    state_open: z.string().optional(),
    state_opening: z.string().optional(),
    state_unlocked: z.string().optional(),
    state_unlocking: z.string().optional(),
    state_topic: str().optional(),
    value_template: str().optional(),
  }),
  sensor: z
    .strictObject({
      ...common,
      state_topic: str(),
      device_class: z.enum(SENSOR_CLASSES).optional(),
      expire_after: z.number().int().min(0).optional(),
      force_update: z.boolean().optional(),
      last_reset_value_template: str().optional(),
      options: z.array(str()).min(1).optional(),
      state_class: z.enum(['measurement', 'measurement_angle', 'total', 'total_increasing']).optional(),
      suggested_display_precision: z.number().int().min(0).optional(),
      unit_of_measurement: z.string().optional(),
      value_template: str().optional(),
    })
    // `options` belongs to (and is required by) device_class enum only.
    .refine((s) => (s.device_class === 'enum') === (s.options !== undefined), { error: 'options goes with device_class enum' }),
  binary_sensor: z.strictObject({
    ...common,
    state_topic: str(),
    device_class: z.enum(BINARY_SENSOR_CLASSES).optional(),
    expire_after: z.number().int().min(0).optional(),
    force_update: z.boolean().optional(),
    off_delay: z.number().int().min(0).optional(),
    payload_off: z.string().optional(),
    payload_on: z.string().optional(),
    value_template: str().optional(),
  }),
  switch: z.strictObject({
    ...common,
    command_topic: str(),
    command_template: str().optional(),
    device_class: z.enum(['outlet', 'switch']).optional(),
    optimistic: z.boolean().optional(),
    payload_off: z.string().optional(),
    payload_on: z.string().optional(),
    retain: z.boolean().optional(),
    state_off: z.string().optional(),
    state_on: z.string().optional(),
    state_topic: str().optional(),
    value_template: str().optional(),
  }),
} as const;

/** `<discovery_prefix>/<component>/[<node_id>/]<object_id>/config`; ids are [a-zA-Z0-9_-]. */
export const DISCOVERY_TOPIC = /^([^/#+]+)\/(event|button|lock|sensor|binary_sensor|switch)\/(?:([A-Za-z0-9_-]+)\/)?([A-Za-z0-9_-]+)\/config$/;
