import { roomOccupancyView } from '../../local/console/rooms';

describe('live occupancy per room (dashboard widget)', () => {
  const NOW = 1_800_000_000_000;

  it('shows what the inference Lambda last wrote to desired, with its age, sorted by room', () => {
    const rows = roomOccupancyView(
      [
        {
          thingName: 'room-02',
          document: {
            version: 4,
            state: {
              reported: { sound: 3 },
              desired: {
                roomOccupancy: true,
                occupancyProbability: 0.91,
                occupancySource: 'model',
                occupancyModel: 'occupancy/AllTraffic',
              },
            },
            metadata: { desired: { roomOccupancy: { timestamp: NOW / 1000 - 12 } } },
          },
        },
        {
          thingName: 'room-01',
          document: { version: 1, state: { reported: { sound: 40 } }, metadata: { reported: {} } },
        },
      ],
      NOW,
    );
    expect(rows).toEqual([
      { thingName: 'room-01', occupied: null, probability: null, source: null, model: null, ageSeconds: null },
      {
        thingName: 'room-02',
        occupied: true,
        probability: 0.91,
        source: 'model',
        model: 'occupancy/AllTraffic',
        ageSeconds: 12,
      },
    ]);
  });

  it('does not trust malformed desired values', () => {
    const [row] = roomOccupancyView(
      [
        {
          thingName: 'room-03',
          document: {
            version: 2,
            state: { desired: { roomOccupancy: 'yes', occupancyProbability: 'high' } },
            metadata: {},
          },
        },
      ],
      NOW,
    );
    expect(row).toMatchObject({ occupied: null, probability: null });
  });
});
