/** True when testcontainers finds a Docker engine that answers. */
export async function dockerAvailable(): Promise<boolean> {
  if (process.env.TEST_USE_DOCKER === 'false') return false;
  try {
    const { getContainerRuntimeClient } = await import('testcontainers');
    await getContainerRuntimeClient();
    return true;
  } catch {
    return false;
  }
}
