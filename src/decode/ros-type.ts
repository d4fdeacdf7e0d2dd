/** ROS 1 names types `pkg/Type`, ROS 2 `pkg/msg/Type`; converters key on the short form. */
export function shortTypeName(type: string): string {
  return type.replace('/msg/', '/');
}
