import { benchCoordinatorCapacity } from './bench/coordinator-capacity.ts'
console.log(await benchCoordinatorCapacity({ volunteers: 8, deltasEach: 25, aggregators: 8 }))
