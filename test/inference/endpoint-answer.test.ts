import { parseModelAnswer } from '../../tasks/infer-occupancy';

/** The inference Lambda reads the answer with evaluation/p-occupied.ts, as scoring and evaluation do. */
describe('parseModelAnswer reads predicted_label,probabilities,labels into occupied and P(occupied)', () => {
  it.each([
    [`1,"[0.07, 0.93]","['0', '1']"`, { occupied: true, probability: 0.93 }],
    [`0,"[0.88, 0.12]","['0', '1']"\n`, { occupied: false, probability: 0.12 }],
    // Labels in the other order: P(occupied) is the probability at the occupied label, not the second one.
    [`1,"[0.8, 0.2]","['1', '0']"`, { occupied: true, probability: 0.8 }],
    // A decision threshold above 0.5: predicted empty with P(occupied) 0.6 stays 0.6.
    [`0,"[0.4, 0.6]","['0', '1']"`, { occupied: false, probability: 0.6 }],
    [`True,"[0, 1]","['False', 'True']"\r\n0,"[1, 0]","['0', '1']"`, { occupied: true, probability: 1 }],
  ])('%j → %j', (body, expected) => {
    expect(parseModelAnswer(body)).toEqual(expected);
  });

  it.each([
    ['', 'empty'],
    ['1,0.93', 'the mode-dependent predicted_label,probability answer'],
    ['1,0.75,"[0.25, 0.75]"', 'no labels'],
    [`yes,"[0.1, 0.9]","['0', '1']"`, 'unknown predicted label'],
    [`1,"[0.1, 1.9]","['0', '1']"`, 'probability above 1'],
    [`1,"[0.5, 0.9]","['0', '1']"`, 'probabilities that do not sum to 1'],
    [`1,"[0.1, 0.9]","['a', 'b']"`, 'labels that are not occupied/empty'],
    [`\n1,"[0.1, 0.9]","['0', '1']"`, 'answer not on the first line'],
  ])('%j is not an answer (%s)', (body) => {
    expect(parseModelAnswer(body)).toBeUndefined();
  });
});
