import { parseModelAnswer } from '../../tasks/infer-occupancy';

describe('parseModelAnswer reads the Autopilot container’s text/csv answer', () => {
  it.each([
    ['1,0.93', { occupied: true, probability: 0.93 }],
    ['0,0.12\n', { occupied: false, probability: 0.12 }],
    ['true,1', { occupied: true, probability: 1 }],
    ['False,0', { occupied: false, probability: 0 }],
    [' 1 , 0.5 \r\n0,0.1', { occupied: true, probability: 0.5 }],
    ['1,0.75,"[0.25, 0.75]"', { occupied: true, probability: 0.75 }],
    ['0,1e-3', { occupied: false, probability: 0.001 }],
  ])('%j → %j', (body, expected) => {
    expect(parseModelAnswer(body)).toEqual(expected);
  });

  it.each([
    ['', 'empty'],
    ['1', 'no probability'],
    ['1,', 'empty probability'],
    ['1, ,0.5', 'blank probability column'],
    ['1,1.5', 'probability above 1'],
    ['0,-0.1', 'probability below 0'],
    ['1,NaN', 'not a number'],
    ['yes,0.9', 'unknown label'],
    ['\n1,0.9', 'answer not on the first line'],
  ])('%j is not an answer (%s)', (body) => {
    expect(parseModelAnswer(body)).toBeUndefined();
  });
});
